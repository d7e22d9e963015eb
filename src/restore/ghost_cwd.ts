/**
 * A task whose cwd was a deleted folder (zdtm cwd01). criu dumps that folder
 * as a ghost (remap-fpath.img GHOST, a directory mode in ghost-file-N.img);
 * its restore makes the folder again under its name, enters it and removes
 * it once the tasks run, so the task's cwd is a deleted folder again. The
 * same here: the folder is made (O_EXCL-like: a taken name is an error)
 * before the tasks start, their spawn enters it, and it is removed, through
 * its parent's fd and only while empty, when the restore lets go of its files.
 */
import type { Logger } from "../log.ts";
import { REMAP_TYPE } from "../image/mod.ts";
import { type Checkpoint, sourceOf, type Task } from "../model/mod.ts";
import {
  closeQuietly,
  ERRNO,
  errnoText,
  mkdirAt,
  openParentInRoot,
  rmdirAt,
  SysError,
} from "../sys/mod.ts";
import { RestoreError } from "../restore_error.ts";
import type { RestoreSession } from "./open_files.ts";

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;

/** Makes the ghost cwds of `tasks` under `root`; `staged` removes them at its release. */
export function makeGhostCwds(
  cp: Checkpoint,
  tasks: readonly Task[],
  root: string,
  staged: RestoreSession,
  log: Logger,
): void {
  const done = new Set<number>();
  for (const task of tasks) {
    const id = task.cwdId;
    const remap = id === undefined ? undefined : cp.remaps.get(id);
    if (id === undefined || done.has(id) || !remap) continue;
    done.add(id);
    const fail = (what: string, cause?: unknown) =>
      new RestoreError(`task ${task.pid}: its cwd ${task.cwd} ${what}`, { pid: task.pid }, {
        cause,
      });
    if (Number(remap.remap_type ?? REMAP_TYPE.LINKED) !== REMAP_TYPE.GHOST) {
      throw fail("was deleted and kept as a linked remap, which is not supported for a cwd");
    }
    const head = sourceOf(cp).entries("ghost-file", Number(remap.remap_id), { first: true })[0];
    const mode = Number(head && "mode" in head ? head.mode : 0);
    if ((mode & S_IFMT) !== S_IFDIR) throw fail("was deleted and its ghost is not a folder");
    const { dir, name } = openParentInRoot(root, task.cwd ?? "/");
    try {
      if (name === undefined) throw fail("is the root folder");
      mkdirAt(dir, name, mode & 0o7777);
    } catch (e) {
      closeQuietly(dir);
      if (!(e instanceof SysError)) throw e;
      const taken = e.errno === ERRNO.EEXIST ? " (the name is taken)" : "";
      throw fail(`was deleted; making it again failed: ${errnoText(e.errno)}${taken}`, e);
    }
    log.info(`task ${task.pid}: cwd ${task.cwd} was deleted; made again until the tasks run`);
    staged.onCleanup(() => {
      try {
        rmdirAt(dir, name!);
      } catch (e) {
        log.warn(`cannot remove the ghost cwd ${task.cwd} again: ${String(e)}`);
      } finally {
        closeQuietly(dir);
      }
    });
  }
}
