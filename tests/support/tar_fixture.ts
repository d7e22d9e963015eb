/**
 * Writes tar archives member by member (POSIX ustar headers), including the
 * hostile ones no tar tool would make on purpose: absolute and `..` names,
 * links, sparse members, lying sizes. Written from the format's field table.
 */
import { imagesOf } from "./corpus.ts";
export interface TarMember {
  name: string;
  data?: Uint8Array;
  /** ustar type flag: "0" file, "5" directory, "1" hard link, "2" symlink, "S" sparse, "x" pax. */
  type?: string;
  /** A size to write in the header instead of the data's. */
  size?: number;
  linkname?: string;
}

const enc = new TextEncoder();

function put(b: Uint8Array, off: number, len: number, text: string): void {
  b.set(enc.encode(text).subarray(0, len), off);
}

function octal(n: number, len: number): string {
  return n.toString(8).padStart(len - 1, "0");
}

export function tarHeader(m: TarMember): Uint8Array {
  const b = new Uint8Array(512);
  put(b, 0, 100, m.name);
  put(b, 100, 8, octal(m.type === "5" ? 0o755 : 0o644, 8));
  put(b, 108, 8, octal(0, 8));
  put(b, 116, 8, octal(0, 8));
  put(b, 124, 12, octal(m.size ?? m.data?.length ?? 0, 12));
  put(b, 136, 12, octal(1_700_000_000, 12));
  b[156] = (m.type ?? "0").charCodeAt(0);
  if (m.linkname) put(b, 157, 100, m.linkname);
  put(b, 257, 6, "ustar");
  put(b, 263, 2, "00");
  b.fill(32, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  put(b, 148, 8, octal(sum, 7) + "\0");
  return b;
}

/** The archive: headers, data padded to 512 bytes, two zero blocks. */
export function tarBytes(members: TarMember[], end = true): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const m of members) {
    parts.push(tarHeader(m));
    if (m.data?.length) {
      parts.push(m.data, new Uint8Array((512 - (m.data.length % 512)) % 512));
    }
  }
  if (end) parts.push(new Uint8Array(1024));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Members for every file of `dir` (flat), under `prefix`. */
export function membersOf(dir: string, prefix: string): TarMember[] {
  const names = [...Deno.readDirSync(dir)].filter((e) => e.isFile).map((e) => e.name).sort();
  return names.map((n) => ({ name: prefix + n, data: Deno.readFileSync(`${dir}/${n}`) }));
}

const json = (v: unknown) => enc.encode(JSON.stringify(v));

/** Podman's export of a corpus scenario: facts as its documentation describes the archive. */
export function podmanMembers(scenario: string): TarMember[] {
  const images = imagesOf(scenario);
  return [
    { name: "checkpoint/", type: "5" },
    ...membersOf(images, "checkpoint/"),
    { name: "config.dump", data: json({ id: "c0ffee", name: scenario }) },
    { name: "spec.dump", data: json({ ociVersion: "1.0.2", annotations: {} }) },
    { name: "stats-dump", data: Deno.readFileSync(`${images}/stats-dump`) },
    { name: "network.status", data: json([]) },
  ];
}

export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const s = new Blob([bytes.slice()]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(s).arrayBuffer());
}
