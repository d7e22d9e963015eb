/** Reading one image file of any kind, as crit does. */
import { basename } from "../sys/path.ts";
import { hex, ImageError } from "./image_error.ts";
import { imageKind } from "./image_kinds.ts";
import { decodeBody, readHeader } from "./framing.ts";
import type { Decoded } from "./wire_decode.ts";

/** An image file, decoded. */
export interface ImageFile {
  /** crit's image name ("FILES", "PIPES_DATA"...). */
  readonly kind: string;
  /** The image magic value. */
  readonly magic: number;
  /** The head word, undefined for inventory and v1 images. */
  readonly head: number | undefined;
  /** False for images we can name but have no decoder for; entries is then empty. */
  readonly decoded: boolean;
  /** Plain entry objects; raw payloads (pipe data, packets, ghost content) in `extra`. */
  readonly entries: Decoded[];
}

/** Reads and decodes the image at `path`, whatever its kind. Throws {@link ImageError}. */
export function readImageFile(path: string): ImageFile {
  return decodeImageBytes(readImageBytes(path), path);
}

/** Decodes image bytes; `path` only names the image in errors. */
export function decodeImageBytes(bytes: Uint8Array, path: string): ImageFile {
  const header = readHeader(bytes, path);
  const kind = imageKind(header.name);
  const entries = kind ? decodeBody(bytes, header, kind, path, false) : [];
  return { kind: header.name, magic: header.magic, head: header.head, decoded: !!kind, entries };
}

/** The bytes of an image file; undefined with `missingOk` when it does not exist. */
export function readImageBytes(path: string): Uint8Array;
export function readImageBytes(path: string, missingOk: true): Uint8Array | undefined;
export function readImageBytes(path: string, missingOk = false): Uint8Array | undefined {
  try {
    return readWhole(path);
  } catch (e) {
    if (missingOk && e instanceof Deno.errors.NotFound) return undefined;
    const why = e instanceof Error ? e.message : String(e);
    throw new ImageError(`cannot read ${basename(path)}: ${why}`, {
      image: path,
      entry: -1,
      offset: 0,
    }, { cause: e });
  }
}

/**
 * A regular file read into one buffer of its size (~1 ms less than
 * Deno.readFileSync for 3 MB: no growing and copying); anything else (stdin,
 * a pipe) through Deno.readFileSync.
 */
function readWhole(path: string): Uint8Array {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch {
    return Deno.readFileSync(path); // which fails too, with the message it always gave
  }
  let size = 0;
  try {
    const st = file.statSync();
    size = st.isFile ? st.size : 0;
    if (size > 0) {
      const buf = new Uint8Array(size);
      let got = 0;
      while (got < size) {
        const n = file.readSync(buf.subarray(got));
        if (n === null || n === 0) break;
        got += n;
      }
      return got === size ? buf : buf.subarray(0, got);
    }
  } finally {
    file.close();
  }
  return Deno.readFileSync(path);
}

/** The error for an image whose magic we know but cannot decode. */
export function undecodableError(path: string, kind: string, at: number): ImageError {
  return new ImageError(
    `cannot decode ${basename(path)}: no decoder for ${kind} images (at offset ${hex(at)})`,
    { image: path, entry: -1, offset: at },
  );
}
