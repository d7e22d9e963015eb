/**
 * The restore model of a CRIU image directory: tasks, files, fd entries.
 *
 * ```ts
 * import { loadCheckpoint } from "./mod.ts";
 * const cp = loadCheckpoint("samples/sleeper/images");
 * for (const t of cp.tasks) console.log(t.pid, t.fds.map((e) => e.fd));
 * ```
 */
import { buildCheckpoint, type BuildOptions } from "./build.ts";
import { directorySource } from "./source.ts";
import type { Checkpoint } from "./types.ts";
import type { ImageSource } from "./source.ts";

export { buildCheckpoint, type BuildOptions, readNrOpen } from "./build.ts";
export { directorySource, type ImageSource } from "./source.ts";
export { readShmem, type ShmemRun } from "./memory.ts";
export { NS_CLONE_FLAG, nsKindOf, nsKindOfFlag } from "./namespaces.ts";
export * from "./types.ts";

/** Reads and models the checkpoint in `dir`. Throws ImageError on bad images. */
export function loadCheckpoint(dir: string, opts?: BuildOptions): Checkpoint {
  return buildCheckpoint(directorySource(dir), opts);
}
/** Where `cp`'s images are read from: -D may be an archive, whose path is no folder. */
export function sourceOf(cp: Checkpoint): ImageSource {
  return cp.source ?? directorySource(cp.dir);
}
export {
  devMajor,
  devMinor,
  ptyPair,
  TTY_TYPE,
  type TtyFile,
  ttyFile,
  type TtyFileDesc,
  ttyFiles,
  type TtyRole,
} from "./tty.ts";
