/**
 * Hostile container checkpoint archives for the fuzzer: corpus scenarios
 * packed as Podman exports (tar, tar.gz, tar.zst), then mutated: tar header
 * fields (size, type, name, mode, magic; the checksum made right again most
 * times, so the mutation reaches past it), bit flips, truncation, a member
 * repeated, a pax header, a mutated image inside; a compressed archive
 * carries a mutated tar, or has its compressed bytes flipped or cut. Each
 * case runs show, decode -D and check in-process (the invariants of
 * fuzz_run.ts), and every Nth through the real command.
 */
import { join } from "node:path";
import { zstdCompressSync } from "node:zlib";
import { openImages } from "../../src/archive/mod.ts";
import { writeImageJsonText } from "../../src/image/mod.ts";
import { buildCheckpoint } from "../../src/model/mod.ts";
import { buildReport, containerFacts, renderReport } from "../../src/show/mod.ts";
import { mutate } from "./fuzz_mutate.ts";
import { checkModel, cliProblem, probe } from "./fuzz_run.ts";
import { gzip, podmanMembers, tarBytes, type TarMember } from "./tar_fixture.ts";

type Rng = () => number;
const pick = <T>(rng: Rng, list: readonly T[]): T => list[Math.floor(rng() * list.length)];
const int = (rng: Rng, n: number): number => Math.floor(rng() * n);

export const ARCHIVE_SCENARIOS = ["pipes", "reg-files", "tree-shared", "memfd", "unix-sockets"];
const FORMATS = ["tar", "tar.gz", "tar.zst"] as const;

export interface ArchiveCase {
  readonly index: number;
  readonly seed: string;
  readonly format: typeof FORMATS[number];
  readonly mutation: string;
  readonly bytes: Uint8Array;
}

export interface ArchiveSeed {
  readonly name: string;
  readonly members: TarMember[];
  readonly tar: Uint8Array;
  /** Offset of each member's header in `tar`. */
  readonly headers: number[];
}

export function archiveSeeds(): ArchiveSeed[] {
  return ARCHIVE_SCENARIOS.map((name) => {
    const members = podmanMembers(name);
    const headers: number[] = [];
    let at = 0;
    for (const m of members) {
      headers.push(at);
      at += 512 + Math.ceil((m.data?.length ?? 0) / 512) * 512;
    }
    return { name, members, tar: tarBytes(members), headers };
  });
}

const enc = new TextEncoder();
const NAMES = [
  "/etc/passwd",
  "checkpoint/../../x",
  "",
  "checkpoint/inventory.img",
  "a".repeat(100),
];
const SIZES = ["77777777777", "00000000000", "9999", "-1", "\x80\0\0\0\0\0\0\xff\xff\xff\xff"];
const TYPES = "0125346789SxgLKAV\0";

/** Rewrites the header checksum after a field was changed. */
function fixChecksum(b: Uint8Array, at: number): void {
  b.fill(32, at + 148, at + 156);
  let sum = 0;
  for (let i = at; i < at + 512; i++) sum += b[i];
  b.set(enc.encode(sum.toString(8).padStart(6, "0") + "\0 "), at + 148);
}

function field(rng: Rng, seed: ArchiveSeed): [string, Uint8Array] {
  const out = seed.tar.slice();
  const at = pick(rng, seed.headers);
  const put = (off: number, len: number, text: string) => {
    out.fill(0, at + off, at + off + len);
    out.set(enc.encode(text).subarray(0, len), at + off);
  };
  const which = int(rng, 5);
  let name: string;
  if (which === 0) put(124, 12, name = pick(rng, SIZES));
  else if (which === 1) out[at + 156] = (name = pick(rng, [...TYPES])).charCodeAt(0);
  else if (which === 2) put(0, 100, name = pick(rng, NAMES));
  else if (which === 3) put(100, 8, name = pick(rng, ["7777777", "zz", ""]));
  else put(257, 6, name = pick(rng, ["", "ustar ", "GNUtar"]));
  const fixed = rng() < 0.8;
  if (fixed) fixChecksum(out, at);
  return [
    `header ${["size", "type", "name", "mode", "magic"][which]}=${JSON.stringify(name)}${
      fixed ? "" : " (checksum stale)"
    }`,
    out,
  ];
}

/** A mutated plain tar of `seed`. */
function mutateTar(rng: Rng, seed: ArchiveSeed): [string, Uint8Array] {
  const kind = int(rng, 8);
  if (kind <= 2) return field(rng, seed);
  if (kind === 3) {
    const cut = rng() < 0.5 ? pick(rng, seed.headers) + int(rng, 600) : int(rng, seed.tar.length);
    return [`truncate ${cut}`, seed.tar.slice(0, cut)];
  }
  if (kind === 4) {
    const m = pick(rng, seed.members);
    const members = [...seed.members, m];
    return [`repeat ${m.name}`, tarBytes(members)];
  }
  if (kind === 5) {
    const records = pick(rng, [
      "30 path=checkpoint/../../etc\n",
      "20 size=99999999999\n",
      "9 bad\n",
    ]);
    const pax: TarMember = { name: "PaxHeader", type: "x", data: enc.encode(records) };
    const i = int(rng, seed.members.length);
    return [`pax ${JSON.stringify(records)}`, tarBytes(seed.members.toSpliced(i, 0, pax))];
  }
  if (kind === 6) {
    const i = int(rng, seed.members.length);
    const m = seed.members[i];
    if (m.data?.length && m.name.endsWith(".img") && !m.name.includes("pages-")) {
      const [what, data] = mutate(rng, m.data, m.name.slice(m.name.lastIndexOf("/") + 1));
      return [`image ${m.name} ${what}`, tarBytes(seed.members.toSpliced(i, 1, { ...m, data }))];
    }
  }
  const out = seed.tar.slice();
  const flips = 1 + int(rng, 8);
  for (let i = 0; i < flips; i++) out[int(rng, out.length)] ^= 1 << int(rng, 8);
  return [`bitflip x${flips}`, out];
}

async function compress(format: ArchiveCase["format"], tar: Uint8Array): Promise<Uint8Array> {
  if (format === "tar.gz") return await gzip(tar);
  if (format === "tar.zst") return new Uint8Array(zstdCompressSync(tar));
  return tar;
}

export async function makeArchiveCase(
  rng: Rng,
  seeds: readonly ArchiveSeed[],
  index: number,
): Promise<ArchiveCase> {
  const seed = pick(rng, seeds);
  const format = pick(rng, FORMATS);
  if (format !== "tar" && rng() < 0.3) {
    const packed = await compress(format, seed.tar);
    if (rng() < 0.5) {
      const cut = int(rng, packed.length);
      return {
        index,
        seed: seed.name,
        format,
        mutation: `cut stream at ${cut}`,
        bytes: packed.slice(0, cut),
      };
    }
    const out = packed.slice();
    const at = int(rng, out.length);
    out[at] ^= 1 << int(rng, 8);
    return { index, seed: seed.name, format, mutation: `stream bitflip at ${at}`, bytes: out };
  }
  const [mutation, tar] = mutateTar(rng, seed);
  return { index, seed: seed.name, format, mutation, bytes: await compress(format, tar) };
}

/** show, decode -D and check of an archive, as the commands do them. */
const TARGETS: Record<string, (path: string, root: string) => Promise<void>> = {
  async show(path) {
    const images = await openImages(path);
    try {
      const args = !images.archive?.pagesDropped;
      const cp = buildCheckpoint(images.source, { decodedPayloads: true, args });
      const archive = images.archive!;
      const report = buildReport(cp);
      report.container = containerFacts((n) => archive.member(n), path);
      renderReport(report);
    } finally {
      images.close();
    }
  },
  async decode(path) {
    const images = await openImages(path);
    try {
      const a = images.archive!;
      for (const name of a.names()) {
        writeImageJsonText(a.member(a.prefix + name)!, `${path}:${name}`, true, () => {});
      }
    } finally {
      images.close();
    }
  },
  async check(path, root) {
    const images = await openImages(path);
    try {
      checkModel(buildCheckpoint(images.source, { args: false }), root);
    } finally {
      images.close();
    }
  },
};

export interface ArchiveFinding {
  readonly case: ArchiveCase;
  readonly target: string;
  readonly problem: string;
}

/** Runs one case in this process, and through the CLI when `cli` is set. */
export async function runArchiveCase(
  c: ArchiveCase,
  base: string,
  root: string,
  cli: boolean,
): Promise<ArchiveFinding[]> {
  const path = join(base, `case.${c.format}`);
  Deno.writeFileSync(path, c.bytes);
  const ws = { root, leftovers: () => [...Deno.readDirSync(root)].map((e) => e.name) };
  const found: ArchiveFinding[] = [];
  for (const [target, fn] of Object.entries(TARGETS)) {
    const problem = await probe(() => fn(path, root), ws);
    if (problem !== undefined) found.push({ case: c, target, problem });
  }
  if (cli) {
    const commands: Record<string, string[]> = {
      show: ["show", "-D", path, "--json"],
      decode: ["decode", "-D", path],
      check: ["check", "-D", path, "--root", root],
    };
    for (const [target, args] of Object.entries(commands)) {
      const problem = await cliProblem(args);
      if (problem !== undefined) found.push({ case: c, target: `cli ${target}`, problem });
    }
  }
  const extra = [...Deno.readDirSync(base)].map((e) => e.name).filter((n) =>
    n !== "root" && !n.startsWith("case.")
  );
  if (extra.length) found.push({ case: c, target: "archive", problem: `extracted ${extra}` });
  return found;
}

export function describeArchiveFinding(f: ArchiveFinding): string {
  const c = f.case;
  return `archive case ${c.index}: ${f.target} on ${c.seed}.${c.format} (${c.mutation}): ${f.problem}`;
}
