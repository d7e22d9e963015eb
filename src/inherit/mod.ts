/**
 * `src/inherit`: criu's `--inherit-fd`: the argument grammar, the table of
 * staged descriptors, the key of each file type, and the warnings for keys
 * that match nothing.
 *
 * ```ts
 * import { InheritFdTable, pipeKey } from "./src/inherit/mod.ts";
 * const table = new InheritFdTable();
 * table.add("fd[3]:pipe:[153122]"); // fstat 3, copy it high with CLOEXEC, close 3
 * const got = table.take(pipeKey(153122)); // a fresh duplicate; caller closes got.fd
 * const unused = table.finish(); // closes every staged copy
 * ```
 *
 * @module
 */

export { InheritFdError } from "./error.ts";
export { type InheritFdArg, parseInheritFdArg } from "./parse.ts";
export {
  defaultStageBase,
  type FdIdentity,
  type InheritEntry,
  InheritFdTable,
  type InheritFdTableOptions,
  type TakenFd,
  writeDebugMessage,
} from "./table.ts";
export {
  externalFileKey,
  fifoKey,
  makeDev,
  memfdKey,
  pipeKey,
  regFileKey,
  socketKey,
  ttyKey,
} from "./keys.ts";
export {
  checkInheritKeys,
  type CheckKeysOptions,
  duplicateWarnings,
  editDistance,
  regularFileWarnings,
  suggestKey,
  unmatchedWarnings,
} from "./warnings.ts";
