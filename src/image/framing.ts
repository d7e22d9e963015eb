/**
 * Image framing: head magic, image magic, then entries of `u32 LE length +
 * protobuf`, some followed by raw bytes whose size an entry field gives.
 */
import { basename } from "../sys/path.ts";
import { hex, ImageError } from "./image_error.ts";
import {
  hasHeadWord,
  HEAD_MAGIC_COMMON,
  HEAD_MAGIC_SERVICE,
  headMagicOf,
  type ImageKind,
  magicName,
  magicOf,
} from "./image_table.ts";
import { messagePlan } from "./schema.ts";
import { type Decoded, decodeMessage, WireError } from "./wire_decode.ts";
import type { MessagePlan } from "./wire_plan.ts";

export interface ImageHeader {
  /** crit's image name, e.g. "FDINFO". */
  readonly name: string;
  readonly magic: number;
  /** The head word, or undefined for inventory and v1 images. */
  readonly head: number | undefined;
  /** Offset of the first entry. */
  readonly bodyStart: number;
}

/**
 * Reads the magic words. With `expected` (an image name) the image must be of
 * that kind, as CRIU checks it; without, any known magic is accepted.
 */
export function readHeader(bytes: Uint8Array, path: string, expected?: string): ImageHeader {
  const word = (at: number): number => {
    if (bytes.length < at + 4) {
      throw new ImageError(
        `cannot read ${basename(path)}: header truncated at offset ${hex(at)} ` +
          `(wanted 4 bytes, got ${Math.max(0, bytes.length - at)})`,
        { image: path, entry: -1, offset: at },
      );
    }
    return (bytes[at] | bytes[at + 1] << 8 | bytes[at + 2] << 16 | bytes[at + 3] << 24) >>> 0;
  };
  const first = word(0);
  const isHead = first === HEAD_MAGIC_COMMON || first === HEAD_MAGIC_SERVICE;
  const magic = isHead ? word(4) : first;
  const at = isHead ? 4 : 0;
  const name = magicName(magic);
  if (expected !== undefined) {
    const want = magicOf(expected);
    if (hasHeadWord(expected) && !isHead && first !== want) {
      throw magicError("Head magic", path, first, headMagicOf(expected), 0);
    }
    if (isHead && first !== headMagicOf(expected)) {
      throw magicError("Head magic", path, first, headMagicOf(expected), 0);
    }
    if (magic !== want) throw magicError("Magic", path, magic, want, at);
  } else if (name === undefined) {
    throw magicError("Magic", path, magic, undefined, at);
  } else if (isHead && first !== headMagicOf(name)) {
    throw magicError("Head magic", path, first, headMagicOf(name), 0);
  }
  return {
    name: expected ?? name as string,
    magic,
    head: isHead ? first : undefined,
    bodyStart: at + 4,
  };
}

/** The same 32-bit word with its bytes in the other order (big-endian dumps). */
function byteSwapped(value: number): number {
  return (((value & 0xff) << 24) | ((value & 0xff00) << 8) | ((value >>> 8) & 0xff00) |
    (value >>> 24)) >>> 0;
}

function magicError(
  what: string,
  path: string,
  found: number,
  want: number | undefined,
  at: number,
) {
  const swapped = magicName(byteSwapped(found)) !== undefined ||
    byteSwapped(found) === HEAD_MAGIC_COMMON || byteSwapped(found) === HEAD_MAGIC_SERVICE;
  const detail = want === undefined
    ? `unknown magic ${hex(found)}`
    : `found ${hex(found)}, expected ${hex(want)}${magicName(want) ? ` (${magicName(want)})` : ""}`;
  return new ImageError(
    `${what} doesn't match for ${path}: ${detail} at offset ${hex(at)}` +
      (swapped ? " (byte-swapped: a big-endian image?)" : ""),
    { image: path, entry: -1, offset: at },
  );
}

/**
 * Decodes every entry after the header; raw payloads land in `extra` as views.
 * With `each`, entries go to it one by one (with the bounds of their message
 * in `bytes`) and the result is empty: 100,000 entries need not be alive at once.
 * With `limit`, only the first `limit` entries are decoded (the rest is not looked at).
 */
export function decodeBody(
  bytes: Uint8Array,
  header: ImageHeader,
  kind: ImageKind,
  path: string,
  withDefaults: boolean,
  each?: (entry: Decoded, index: number, bytes: Uint8Array, start: number, end: number) => void,
  limit?: number,
): Decoded[] {
  const name = basename(path);
  const len = bytes.length;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entries: Decoded[] = [];
  const truncated = (index: number, at: number, wanted: number | bigint, got: number) =>
    truncatedError(path, index, at, wanted, got);
  let plan = messagePlan(kind.message);
  let extra = kind.extra;
  let off = header.bodyStart;
  const take = (index: number, size: number | bigint): Uint8Array => {
    if (BigInt(size) > BigInt(len - off)) throw truncated(index, off, size, len - off);
    const part = bytes.subarray(off, off + Number(size));
    off += Number(size);
    return part;
  };
  let index = 0;
  for (; off < len && (limit === undefined || index < limit); index++) {
    if (len - off < 4) throw truncated(index, off, 4, len - off);
    const size = view.getUint32(off, true);
    const start = off + 4;
    if (size > len - start) throw truncated(index, start, size, len - start);
    const entry = decodeEntry(plan, bytes, start, size, withDefaults, name, path, index, off);
    off = start + size;
    if (extra !== undefined) {
      const parts = extra.map((field) => take(index, entry[field] as number | bigint));
      entry.extra = parts.length === 1 ? parts[0] : parts;
    }
    if (index === 0 && kind.layout === "pagemap") {
      plan = messagePlan("pagemap_entry");
    } else if (index === 0 && kind.layout === "ghost") {
      if (entry.chunks !== true) {
        entry.extra = take(index, len - off); // the whole content follows
      } else {
        plan = messagePlan("ghost_chunk_entry");
        extra = ["len"];
      }
    }
    if (each) each(entry, index, bytes, start, start + size);
    else entries.push(entry);
  }
  return entries;
}

/**
 * Checks that `u32 length + message` frames fill `bytes` from `start` to its
 * end, with {@link decodeBody}'s error for the first that does not: for
 * writers that must fail before their first byte of output.
 */
export function checkFrames(bytes: Uint8Array, start: number, path: string): void {
  const len = bytes.length;
  let off = start;
  for (let index = 0; off < len; index++) {
    if (len - off < 4) throw truncatedError(path, index, off, 4, len - off);
    const size =
      (bytes[off] | bytes[off + 1] << 8 | bytes[off + 2] << 16 | bytes[off + 3] << 24) >>>
      0;
    if (size > len - off - 4) throw truncatedError(path, index, off + 4, size, len - off - 4);
    off += 4 + size;
  }
}

function truncatedError(
  path: string,
  index: number,
  at: number,
  wanted: number | bigint,
  got: number,
): ImageError {
  return new ImageError(
    `cannot read ${basename(path)}: entry ${index} truncated at offset ${hex(at)} ` +
      `(wanted ${wanted} bytes, got ${got})`,
    { image: path, entry: index, offset: at },
  );
}

/** One message of an entry; a malformed one is an ImageError naming entry and offset. */
export function decodeEntry(
  plan: MessagePlan,
  bytes: Uint8Array,
  start: number,
  size: number,
  withDefaults: boolean,
  name: string,
  path: string,
  index: number,
  at: number,
): Decoded {
  try {
    return decodeMessage(plan, bytes, start, start + size, withDefaults);
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
    throw new ImageError(
      `cannot read ${name}: entry ${index} at offset ${hex(at)} is not a valid ${plan.name}: ` +
        `${e.message} (at offset ${hex(e.offset)})`,
      { image: path, entry: index, offset: e.offset },
      { cause: e },
    );
  }
}
