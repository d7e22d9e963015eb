/**
 * What one file of the dump is, in words and fields: the per-type part of
 * `show`. Each type's description is in its descriptor (src/fdtypes/);
 * a type without one still gets a line.
 */
import {
  type Checkpoint,
  FD_TYPE,
  fdTypeName,
  type FileDesc,
  type FileOf,
  type FileType,
} from "../model/mod.ts";
import { descriptorOf, DESCRIPTORS, type FileDescription } from "../fdtypes/mod.ts";

export type { FileDescription } from "../fdtypes/mod.ts";

/**
 * Every `kind` {@link describeFile} gives (besides `proto N` for an odd inet
 * socket): the descriptors' kinds, and each fd type's name for the generic line.
 */
export const SHOW_KINDS: readonly string[] = [
  ...new Set([
    ...Object.values(DESCRIPTORS).flatMap((d) => d.kinds),
    ...Object.keys(FD_TYPE).map((n) => n.toLowerCase()),
  ]),
];

export function describeFile(cp: Checkpoint, file: FileDesc): FileDescription {
  const flags = "flags" in file.payload ? file.payload.flags : undefined;
  return describeAs(cp, file, flags);
}

function describeAs<T extends FileType>(
  cp: Checkpoint,
  file: FileOf<T>,
  flags?: number,
): FileDescription {
  const describe = descriptorOf(file.type).describe;
  if (describe) return describe(cp, file, flags);
  return {
    kind: fdTypeName(file.type).toLowerCase(),
    what: `${fdTypeName(file.type)} file (not restorable by fdrestore)`,
    flags,
    details: {},
  };
}
