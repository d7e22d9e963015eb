/**
 * Hostile images for the fuzzer: every corpus image (and the sample) mutated
 * by a seeded PRNG — bit flips, truncation at entry boundaries, length fields
 * of 0 / huge / beyond the file, wrong wire types, endless varints, deep
 * nesting, and field-level changes (ids pointing nowhere, duplicate ids,
 * negative fds, fds above fs.nr_open) re-encoded with the image writer.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { decodeBody, readHeader } from "../../src/image/framing.ts";
import { imageKind } from "../../src/image/image_table.ts";
import { encodeImage } from "./image_writer.ts";
import { CORPUS } from "./corpus.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url));

/** A deterministic PRNG (mulberry32): the same seed gives the same cases. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An images directory to mutate, with its image files read once. */
export interface SeedDir {
  readonly name: string;
  readonly dir: string;
  readonly files: ReadonlyMap<string, Uint8Array>;
}

/** Every corpus scenario's images and the sample's. */
export function seedDirs(): SeedDir[] {
  const dirs: [string, string][] = [["sample", join(REPO, "samples/sleeper/images")]];
  try {
    for (const e of Deno.readDirSync(CORPUS)) {
      const images = join(CORPUS, e.name, "images");
      try {
        if (Deno.statSync(images).isDirectory) dirs.push([e.name, images]);
      } catch {
        // not a scenario
      }
    }
  } catch {
    // no corpus: the sample alone
  }
  dirs.sort((a, b) => a[0].localeCompare(b[0]));
  return dirs.map(([name, dir]) => {
    const files = new Map<string, Uint8Array>();
    for (const e of Deno.readDirSync(dir)) {
      if (e.isFile && e.name.endsWith(".img")) {
        files.set(e.name, Deno.readFileSync(join(dir, e.name)));
      }
    }
    return { name, dir, files };
  });
}

/** One mutated image of one seed directory. */
export interface FuzzCase {
  readonly index: number;
  readonly seed: SeedDir;
  readonly file: string;
  readonly mutation: string;
  readonly bytes: Uint8Array;
}

type Rng = () => number;
const pick = <T>(rng: Rng, list: readonly T[]): T => list[Math.floor(rng() * list.length)];
const int = (rng: Rng, n: number): number => Math.floor(rng() * n);

/** Offsets of each entry's u32 length field (framing without extras may stop early). */
function entryOffsets(bytes: Uint8Array): number[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4) return [];
  const w = v.getUint32(0, true);
  let off = w === 0x54564319 || w === 0x55105940 ? 8 : 4;
  const out: number[] = [];
  while (off + 4 <= bytes.length) {
    out.push(off);
    const size = v.getUint32(off, true);
    if (off + 4 + size > bytes.length) break;
    off += 4 + size;
  }
  return out;
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/** `depth` messages nested in field `field` (wire type 2), built from the inside out. */
function nested(field: number, depth: number): Uint8Array {
  const sizes = [0];
  const tag = varint((field << 3) | 2);
  for (let i = 1; i <= depth; i++) {
    sizes.push(tag.length + varint(sizes[i - 1]).length + sizes[i - 1]);
  }
  const out = new Uint8Array(sizes[depth]);
  let off = 0;
  for (let i = depth; i >= 1; i--) {
    for (const b of [...tag, ...varint(sizes[i - 1])]) out[off++] = b;
  }
  return out;
}

function withLength(bytes: Uint8Array, at: number, len: number): Uint8Array {
  const out = bytes.slice();
  new DataView(out.buffer).setUint32(at, len >>> 0, true);
  return out;
}

function splice(bytes: Uint8Array, from: number, to: number, insert: Uint8Array): Uint8Array {
  const out = new Uint8Array(from + insert.length + bytes.length - to);
  out.set(bytes.subarray(0, from));
  out.set(insert, from);
  out.set(bytes.subarray(to), from + insert.length);
  return out;
}

const INTERESTING = [0, -1, 1, 2, 3, 0x7fffffff, 0xffffffff, 20000, 1048576, 1048577, 1 << 30];

/** Field-level changes, re-encoded: ids pointing nowhere, duplicates, odd fd numbers. */
function semantic(rng: Rng, bytes: Uint8Array, file: string): [string, Uint8Array] | undefined {
  const header = readHeader(bytes, file);
  const kind = imageKind(header.name);
  if (!kind || kind.layout !== "entries") return undefined;
  const entries = decodeBody(bytes, header, kind, file, false);
  if (entries.length === 0) return undefined;
  const e = pick(rng, entries);
  if (rng() < 0.2) {
    entries.splice(int(rng, entries.length + 1), 0, structuredClone(e)); // a duplicate id
    return ["duplicate-entry", encodeImage(header.name, entries)];
  }
  // A numeric field, at the top or one level down.
  const holders: [Record<string, unknown>, string][] = [];
  const visit = (o: Record<string, unknown>, depth: number) => {
    for (const [k, v] of Object.entries(o)) {
      if (k === "extra") continue;
      if (typeof v === "number" || typeof v === "bigint") holders.push([o, k]);
      else if (depth < 2 && v && typeof v === "object" && !(v instanceof Uint8Array)) {
        visit(v as Record<string, unknown>, depth + 1);
      }
    }
  };
  visit(e, 0);
  if (holders.length === 0) return undefined;
  const [o, k] = pick(rng, holders);
  const other = pick(rng, entries);
  const value = rng() < 0.3 && typeof other[k] === typeof o[k] ? other[k] : pick(rng, INTERESTING);
  o[k] = typeof o[k] === "bigint" ? BigInt(value as number) : Number(value);
  try {
    return [`field ${k}=${String(o[k])}`, encodeImage(header.name, entries)];
  } catch {
    return undefined; // a value the field's type cannot hold
  }
}

/** Mutates `bytes` one way; returns the mutation's name and the new bytes. */
export function mutate(rng: Rng, bytes: Uint8Array, file: string): [string, Uint8Array] {
  const offs = entryOffsets(bytes);
  const kind = int(rng, 9);
  const entry = offs.length > 0 ? pick(rng, offs) : -1;
  const size = entry >= 0 ? new DataView(bytes.buffer, bytes.byteOffset).getUint32(entry, true) : 0;
  const payloadEnd = Math.min(bytes.length, entry + 4 + size);
  if (kind === 0 && entry >= 0) return ["truncate-at-entry", bytes.slice(0, entry + int(rng, 5))];
  if (kind === 1 && entry >= 0) {
    const len = pick(rng, [0, 0xffffffff, 0x7fffffff, bytes.length - entry, size + 1, size * 2]);
    return [`length ${len}`, withLength(bytes, entry, len)];
  }
  if (kind === 2 && entry >= 0 && size > 0) {
    const out = bytes.slice();
    const at = rng() < 0.5 ? entry + 4 : entry + 4 + int(rng, size);
    out[at] = (out[at] & ~7) | int(rng, 8);
    return ["wire-type", out];
  }
  if (kind === 3 && entry >= 0 && size > 0) {
    const at = entry + 4 + int(rng, size);
    const out = bytes.slice();
    out.fill(0xff, at, rng() < 0.5 ? payloadEnd : out.length);
    return ["endless-varint", out];
  }
  if (kind === 4 && entry >= 0) {
    const depth = pick(rng, [100, 1000, 10000, 50000]);
    const body = nested(1 + int(rng, 12), depth);
    const framed = new Uint8Array(4 + body.length);
    new DataView(framed.buffer).setUint32(0, body.length, true);
    framed.set(body, 4);
    return [`nesting ${depth}`, splice(bytes, entry, payloadEnd, framed)];
  }
  if (kind >= 5 && kind <= 6) {
    try {
      const s = semantic(rng, bytes, file);
      if (s) return s;
    } catch {
      // an image the writer cannot re-encode: flip bits instead
    }
  }
  if (kind === 7) return ["truncate", bytes.slice(0, int(rng, bytes.length))];
  const out = bytes.slice();
  const flips = 1 + int(rng, 8);
  for (let i = 0; i < flips && out.length > 0; i++) out[int(rng, out.length)] ^= 1 << int(rng, 8);
  return [`bitflip x${flips}`, out];
}

/** The `index`-th case of a run (each case draws from the shared PRNG). */
export function makeCase(rng: Rng, seeds: readonly SeedDir[], index: number): FuzzCase {
  const seed = pick(rng, seeds);
  // Images that drive restores more often than the raw pages.
  const names = [...seed.files.keys()].filter((n) => !n.startsWith("pages-"));
  const file = pick(rng, names);
  const [mutation, bytes] = mutate(rng, seed.files.get(file)!, file);
  return { index, seed, file, mutation, bytes };
}
