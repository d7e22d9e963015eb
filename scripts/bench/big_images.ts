/**
 * Large images for memory measurements, tests and the fuzzer, made with the
 * image writer and written piece by piece (nothing big is committed): a
 * files.img of regular-file entries, a ghost-file image holding one content,
 * and any image grown by repeating its first entry.
 * Usage: deno run -A scripts/bench/big_images.ts DIR [files-MB] [ghost-MB]
 */
import { join } from "node:path";
import { encodeImage } from "../../tests/support/image_writer.ts";
import { readHeader } from "../../src/image/framing.ts";

const BATCH = 20_000;
const fown = { uid: 0, euid: 0, signum: 0, pid_type: 0, pid: 0 };

/**
 * Writes a FILES image of at least `bytes` bytes to `path`: one batch of
 * distinct entries, repeated (ids repeat, which decode does not mind).
 * Returns the entry count.
 */
export function writeBigFiles(path: string, bytes: number): number {
  const entries = Array.from({ length: BATCH }, (_, i) => ({
    type: 1,
    id: i + 1,
    reg: { id: i + 1, flags: 0o100002, pos: BigInt(i), fown, name: `/srv/app/log-${i}.log` },
  }));
  const image = encodeImage("FILES", entries);
  return writeRepeating(path, image.subarray(0, 8), image.subarray(8), bytes) * BATCH;
}

/** Writes a GHOST_FILE image whose content (not chunked) is `bytes` bytes to `path`. */
export function writeBigGhost(path: string, bytes: number): void {
  const content = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) content[i] = (i * 2654435761) >>> 24;
  const head = { uid: 0, gid: 0, mode: 0o100644, size: BigInt(bytes), extra: content };
  Deno.writeFileSync(path, encodeImage("GHOST_FILE", [head]));
}

/**
 * Rewrites the image at `path` (magics, then plain entries) with its first
 * entry repeated until the file has at least `bytes` bytes.
 */
export function repeatFirstEntry(path: string, bytes: number): void {
  const image = Deno.readFileSync(path);
  const head = readHeader(image, path).bodyStart;
  const size = new DataView(image.buffer).getUint32(head, true);
  writeRepeating(path, image.subarray(0, head), image.subarray(head, head + 4 + size), bytes);
}

/** Writes `first` then `body` as many times as it takes to reach `bytes`; returns the count. */
function writeRepeating(path: string, first: Uint8Array, body: Uint8Array, bytes: number): number {
  const file = Deno.openSync(path, { write: true, create: true, truncate: true });
  try {
    writeAll(file, first);
    // Whole copies in one buffer of about 1 MB: few writes.
    const per = Math.max(1, Math.floor((1 << 20) / body.length));
    const block = new Uint8Array(per * body.length);
    for (let i = 0; i < per; i++) block.set(body, i * body.length);
    let n = 0;
    let size = first.length;
    for (; bytes - size >= block.length; size += block.length, n += per) writeAll(file, block);
    for (; size < bytes; size += body.length, n++) writeAll(file, body);
    return n;
  } finally {
    file.close();
  }
}

function writeAll(file: Deno.FsFile, data: Uint8Array): void {
  for (let off = 0; off < data.length;) off += file.writeSync(data.subarray(off));
}

if (import.meta.main) {
  const [dir, filesMb = "100", ghostMb = "40"] = Deno.args;
  if (!dir) throw new Error("usage: big_images.ts DIR [files-MB] [ghost-MB]");
  Deno.mkdirSync(dir, { recursive: true });
  const n = writeBigFiles(join(dir, "files.img"), Number(filesMb) * 1e6);
  writeBigGhost(join(dir, "ghost-file-1.img"), Number(ghostMb) * 1e6);
  console.log(`${dir}: files.img ${n} entries, ghost-file-1.img ${ghostMb} MB`);
}
