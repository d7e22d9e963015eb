/**
 * One 512-byte tar header (POSIX ustar, with pax `x` records and GNU `L`
 * long names, the forms Go's archive/tar and GNU tar write), judged for use
 * as a checkpoint: only regular files and directories with plain relative
 * names pass. Links, devices, FIFOs, sparse members, absolute names and `..`
 * are refused, since nothing in a checkpoint needs them and each is a known
 * way for an archive to reach outside itself.
 */
import { ImageError } from "../image/mod.ts";

export const BLOCK = 512;

/** What a header announces: a member, a long name or pax record for the next, or the end. */
export type Header =
  | { kind: "file" | "dir"; name: string; size: number }
  | { kind: "pax" | "longname"; size: number }
  | { kind: "global"; size: number }
  | { kind: "end" };

/** pax keys and GNU long names that apply to the next member. */
export interface Pending {
  path?: string;
  size?: number;
}

const decoder = new TextDecoder("utf-8", { fatal: false });

function field(b: Uint8Array, off: number, len: number): string {
  const end = b.subarray(off, off + len).indexOf(0);
  return decoder.decode(b.subarray(off, end < 0 ? off + len : off + end));
}

/** An octal number field, or GNU's base-256 form (high bit set) for sizes over 8 GiB. */
function number(b: Uint8Array, off: number, len: number): number {
  if (b[off] & 0x80) {
    let n = b[off] & 0x7f;
    for (let i = 1; i < len; i++) n = n * 256 + b[off + i];
    return n;
  }
  const text = field(b, off, len).trim();
  return text === "" ? 0 : /^[0-7]+$/.test(text) ? parseInt(text, 8) : NaN;
}

export function tarError(archive: string, message: string, offset = 0): ImageError {
  return new ImageError(`${archive}: ${message}`, { image: archive, entry: -1, offset });
}

/** Parses the header at `offset` of `archive`; throws one-line ImageErrors. */
export function parseHeader(
  block: Uint8Array,
  archive: string,
  offset: number,
  pending: Pending,
): Header {
  if (block.every((b) => b === 0)) return { kind: "end" };
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : block[i];
  if (number(block, 148, 8) !== sum) {
    throw tarError(archive, `not a tar archive, or corrupt: bad header checksum at ${offset}`);
  }
  const type = String.fromCharCode(block[156] || 0x30);
  const size = pending.size ?? number(block, 124, 12);
  if (!Number.isSafeInteger(size) || size < 0) {
    throw tarError(archive, `member at ${offset} has an invalid size`);
  }
  if (type === "x") return { kind: "pax", size };
  if (type === "g") return { kind: "global", size };
  if (type === "L") return { kind: "longname", size };
  const ustar = field(block, 257, 6).startsWith("ustar");
  const prefix = ustar ? field(block, 345, 155) : "";
  const raw = pending.path ?? (prefix ? `${prefix}/${field(block, 0, 100)}` : field(block, 0, 100));
  const name = memberName(raw, archive);
  if (type === "1" || type === "2") {
    throw tarError(archive, `member ${raw} is a link; links are refused in a checkpoint archive`);
  }
  if (type === "S") throw tarError(archive, `member ${raw} is sparse; refused`);
  if (type === "5") return { kind: "dir", name, size: 0 };
  if (type !== "0" && type !== "7") {
    throw tarError(archive, `member ${raw} is not a regular file or directory (type ${type})`);
  }
  return { kind: "file", name, size };
}

/** `./checkpoint/x.img` → `checkpoint/x.img`; absolute names and `..` are refused. */
function memberName(raw: string, archive: string): string {
  if (raw.startsWith("/")) throw tarError(archive, `member ${raw} has an absolute name; refused`);
  const parts = raw.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) {
    throw tarError(archive, `member ${raw} reaches outside with ..; refused`);
  }
  return parts.join("/");
}

/** Applies a pax extended header's records (`LEN key=value\n`) to `pending`. */
export function applyPax(data: Uint8Array, archive: string, pending: Pending): void {
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    const len = space < 0 ? NaN : Number(decoder.decode(data.subarray(at, space)));
    if (!Number.isSafeInteger(len) || len <= 0 || at + len > data.length) {
      throw tarError(archive, "corrupt pax header");
    }
    const record = decoder.decode(data.subarray(space + 1, at + len - 1));
    const eq = record.indexOf("=");
    const [key, value] = [record.slice(0, eq), record.slice(eq + 1)];
    if (key === "path") pending.path = value;
    else if (key === "size") pending.size = Number(value);
    else if (key.startsWith("GNU.sparse")) throw tarError(archive, "sparse member; refused");
    at += len;
  }
}

/** The NUL-terminated GNU long name. */
export function longName(data: Uint8Array): string {
  return field(data, 0, data.length);
}
