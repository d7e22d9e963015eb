/** Reading one image file of any kind, as crit does. */
import { basename } from "../sys/path.ts";
import { hex, ImageError } from "./image_error.ts";
import { imageKind } from "./image_table.ts";
import { decodeBody, readHeader } from "./framing.ts";
import type { Decoded } from "./wire_decode.ts";
import { readImageBytes } from "./image_open.ts";

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

/**
 * True when `bytes` are an image we decode, with every entry checked but none
 * kept (the memory of one entry, not of them all); false for a known magic
 * without a decoder. Throws {@link ImageError}.
 */
export function checkImageBytes(bytes: Uint8Array, path: string): boolean {
  const header = readHeader(bytes, path);
  const kind = imageKind(header.name);
  if (kind) decodeBody(bytes, header, kind, path, false, () => {});
  return !!kind;
}

/** The error for an image whose magic we know but cannot decode. */
export function undecodableError(path: string, kind: string, at: number): ImageError {
  return new ImageError(
    `cannot decode ${basename(path)}: no decoder for ${kind} images (at offset ${hex(at)})`,
    { image: path, entry: -1, offset: at },
  );
}
