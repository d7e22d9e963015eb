/**
 * Writing images (for tests, fixtures and benchmarks): entries encoded from
 * the same plans the readers use, then framed. The inverse of the readers,
 * extras included.
 */
import { imageKind } from "./image_kinds.ts";
import { HEAD_MAGIC_COMMON, HEAD_MAGIC_SERVICE, headMagicOf, MAGICS } from "./magic.ts";
import { messagePlan } from "./schema.ts";
import { encodeMessage } from "./wire_encode.ts";

export interface ImageWriteOptions {
  /**
   * The head word: "auto" (none for INVENTORY, service for STATS and
   * IRMAP_CACHE, common otherwise), "none" (a v1 image) or a number.
   */
  readonly head?: "auto" | "none" | number;
  /** Override the image magic (to make wrong-magic fixtures). */
  readonly magic?: number;
}

/** A payload already encoded, and raw bytes to put after it. */
export interface FramedEntry {
  readonly payload: Uint8Array;
  readonly extra?: Uint8Array | readonly Uint8Array[];
}

/** Encodes one plain entry object (bigints allowed; `extra` is ignored) as message `message`. */
export function encodeEntry(message: string, entry: Record<string, unknown>): Uint8Array {
  return encodeMessage(messagePlan(message), entry);
}

/** Header + `u32 LE length + payload [+ extra]` for each entry. */
export function frameImage(
  name: string,
  entries: readonly FramedEntry[],
  options: ImageWriteOptions = {},
): Uint8Array {
  const head = options.head ?? "auto";
  const words: number[] = [];
  if (head === "auto") {
    if (name !== "INVENTORY") words.push(headMagicOf(name));
  } else if (head !== "none") words.push(head);
  words.push(options.magic ?? MAGICS[name]);
  let size = words.length * 4;
  const extras = (e: FramedEntry): readonly Uint8Array[] =>
    e.extra === undefined ? [] : e.extra instanceof Uint8Array ? [e.extra] : e.extra;
  for (const e of entries) {
    size += 4 + e.payload.length + extras(e).reduce((n, x) => n + x.length, 0);
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let off = 0;
  for (const w of words) view.setUint32((off += 4) - 4, w, true);
  for (const e of entries) {
    view.setUint32(off, e.payload.length, true);
    out.set(e.payload, off + 4);
    off += 4 + e.payload.length;
    for (const x of extras(e)) {
      out.set(x, off);
      off += x.length;
    }
  }
  return out;
}

/**
 * Encodes a whole image of kind `name` ("FILES", "PIPES_DATA"...). An entry's
 * `extra` (Uint8Array, or an array for TCP_STREAM) is written after it.
 */
export function encodeImage(
  name: string,
  entries: readonly Record<string, unknown>[],
  options: ImageWriteOptions = {},
): Uint8Array {
  const kind = imageKind(name);
  if (!kind) throw new TypeError(`no encoder for ${name} images`);
  const framed = entries.map((entry, i) => {
    let message = kind.message;
    if (i > 0 && kind.layout === "pagemap") message = "pagemap_entry";
    if (i > 0 && kind.layout === "ghost") message = "ghost_chunk_entry";
    const extra = entry.extra as Uint8Array | Uint8Array[] | undefined;
    return { payload: encodeEntry(message, entry), extra };
  });
  return frameImage(name, framed, options);
}

/** {@link encodeImage} into a file. */
export function writeImage(
  path: string,
  name: string,
  entries: readonly Record<string, unknown>[],
  options: ImageWriteOptions = {},
): void {
  Deno.writeFileSync(path, encodeImage(name, entries, options));
}

export { HEAD_MAGIC_COMMON, HEAD_MAGIC_SERVICE };
