/**
 * fdrestore as a library: read CRIU checkpoint images, model their tasks and
 * fd tables, show them, and decode images like crit.
 *
 * @example
 * ```ts
 * import { buildReport, loadCheckpoint, renderReport } from "./mod.ts";
 * const cp = loadCheckpoint("samples/sleeper/images");
 * console.log(renderReport(buildReport(cp)));
 * ```
 *
 * @module
 */
export { EXIT, FdrestoreError, UsageError } from "./src/errors.ts";
export {
  decodeImageToJson,
  ImageError,
  readEntries,
  readImageFile,
  renderJson,
} from "./src/image/mod.ts";
export {
  type Checkpoint,
  type FdEntry,
  type FileDesc,
  loadCheckpoint,
  type Task,
} from "./src/model/mod.ts";
export { inheritKeyOf } from "./src/fdtypes/mod.ts";
export { buildReport, renderReport, type ShowReport } from "./src/show/mod.ts";
export { InheritFdError, InheritFdTable } from "./src/inherit/mod.ts";
export { RestoreError } from "./src/restore_error.ts";
