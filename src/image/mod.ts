/**
 * Reading CRIU images: framing, typed entries, and crit-compatible JSON.
 *
 * @example
 * ```ts
 * import { readEntries, decodeImageToJson, renderJson } from "./src/image/mod.ts";
 * const fds = readEntries("images", "fdinfo", 2); // FdinfoEntry[]
 * console.log(renderJson(decodeImageToJson("images/files.img", { pretty: true }), true));
 * ```
 *
 * Writing images (for fixtures) is tests/support/image_writer.ts: fdrestore
 * only reads them.
 */
export { ImageError, type ImageErrorInfo } from "./image_error.ts";
export { checkImageBytes, type ImageFile, readImageFile } from "./image_file.ts";
export { openImage, readImageBytes, STDIN } from "./image_open.ts";
export { type CritJsonOptions, decodeImageToJson, imageBytesToJson } from "./crit_json.ts";
export { decodeImageToJsonText, imageBytesToJsonText, writeImageJsonText } from "./crit_text.ts";
export { type JsonValue, renderJson } from "./json_render.ts";
export { messagePlan } from "./schema.ts";
export { decodeMessage, fieldSpan } from "./wire_decode.ts";
export {
  HEAD_MAGIC_COMMON,
  HEAD_MAGIC_SERVICE,
  type ImageRow,
  IMAGES,
  magicName,
} from "./image_table.ts";
export {
  eachEntry,
  type EntryCallback,
  type EntryTypes,
  imageFileName,
  type ImageName,
  readEntries,
  readPagemap,
  type WithExtra,
} from "./readers.ts";
export type * from "./entry_types.ts";
export { REMAP_TYPE, TTY_TYPE } from "./entry_types.ts";
export { FD_TYPE, FILE_LOCK_FLAG, TASK_STATE } from "./image_consts.ts";
