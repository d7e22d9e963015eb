/**
 * inotify (CRIU's fsnotify.c): a new inotify with its status flags and owner,
 * then one watch per inotify_wd_entry, added by the path the dump stored
 * (FhEntry.path; a watch without one is on a deleted file: see addGhostWatch) and
 * given back its wd number: the program knows its watches by wd.
 *
 * Watches are added in wd order. INOTIFY_IOC_SETNEXTWD picks the next wd where
 * the kernel has it; otherwise, like CRIU, a watch that came out with a lower
 * wd is removed and added again until the counter reaches the wanted one.
 * Only the IN_ALL_EVENTS bits of a mask are restored (as CRIU does):
 * IN_ONESHOT, IN_EXCL_UNLINK, IN_MASK_CREATE and the like are lost.
 * Events queued at dump time are not in the image and are gone.
 */
import {
  close,
  ERRNO,
  IN,
  inotifyAddWatch,
  inotifyInit1,
  inotifyRmWatch,
  inotifySetNextWd,
  O,
  openInRoot,
  SysError,
} from "../sys/mod.ts";
import type { InotifyFileEntry } from "../image/mod.ts";
import { FD_TYPE, type FileDesc, type FileOf } from "../model/mod.ts";
import { type FileOpener, type OpenContext, type OpenResult, stateSlot } from "./opener.ts";
import { withFileParams } from "./params.ts";
import { RestoreError } from "../restore_error.ts";
import { ghostByInode } from "./ghost_file.ts";

/** One inotify_wd_entry, as needed to add it back. */
export interface InotifyWatch {
  wd: number;
  mask: number;
  path?: string;
  /** The watched inode at dump time (s_dev as the kernel encodes it). */
  dev: number;
  ino: bigint;
}

export function inotifyWatches(p: Pick<InotifyFileEntry, "wd">): InotifyWatch[] {
  return (p.wd ?? []).map((w) => {
    return { wd: w.wd, mask: w.mask, path: w.f_handle.path, dev: w.s_dev, ino: w.i_ino };
  }).sort((a, b) => a.wd - b.wd);
}

/** Whether this kernel takes INOTIFY_IOC_SETNEXTWD: learnt on first use in each restore. */
const KERNEL = stateSlot(() => ({ setNextWd: undefined as boolean | undefined }));

/** Adds a watch on `path` that gets exactly `wd`, or throws. */
function addWatchAs(ctx: OpenContext, fd: number, path: string, mask: number, wd: number): void {
  const kernel = ctx.state(KERNEL);
  if (kernel.setNextWd !== false) {
    try {
      inotifySetNextWd(fd, wd);
      kernel.setNextWd = true;
    } catch (e) {
      const errno = e instanceof SysError ? e.errno : 0;
      if (kernel.setNextWd === true || (errno !== ERRNO.ENOTTY && errno !== ERRNO.EINVAL)) throw e;
      kernel.setNextWd = false;
    }
  }
  const setNextWd = kernel.setNextWd;
  for (;;) {
    const got = inotifyAddWatch(fd, path, mask & IN.ALL_EVENTS);
    if (got === wd) return;
    if (got > wd || setNextWd) {
      throw new RestoreError(
        `Unsorted watch 0x${got.toString(16)} found for ${path} with 0x${wd.toString(16)}`,
      );
    }
    inotifyRmWatch(fd, got); // the counter moves on: the next add gets got + 1
  }
}

/**
 * A watch stored without a path: criu stores none for a file that was
 * deleted, and looks for the ghost that was that inode. So here; the watch
 * goes on the ghost made again (criu's last resort, open_by_handle_at, is not
 * used: a handle names an inode of the dumped host's disk).
 */
function addGhostWatch(ctx: OpenContext, file: FileDesc, fd: number, w: InotifyWatch): void {
  const ghost = ghostByInode(ctx, w.dev, w.ino);
  if (ghost === "unmade") return; // a dry run makes no folder or device ghost
  if (ghost === undefined) {
    throw new RestoreError(
      `inotify id 0x${file.id.toString(16)}: watch ${w.wd} has no path in the image and no ` +
        `ghost file was inode ${w.ino} (restoring by file handle is not supported)`,
      { fileId: file.id },
    );
  }
  ctx.log.debug(`Restore inotify watch ${w.wd} on the ghost of inode ${w.ino}`);
  addWatchAs(ctx, fd, `/proc/self/fd/${ghost}`, w.mask, w.wd);
}

export const inotifyOpener: FileOpener<typeof FD_TYPE.INOTIFY> = {
  type: FD_TYPE.INOTIFY,
  open(ctx: OpenContext, file: FileOf<typeof FD_TYPE.INOTIFY>): OpenResult {
    const p = file.payload;
    const fd = withFileParams(ctx, inotifyInit1(0), p.flags, p.fown);
    try {
      for (const w of inotifyWatches(p)) {
        if (w.path === undefined) {
          addGhostWatch(ctx, file, fd, w);
          continue;
        }
        ctx.log.debug(`Restore inotify watch ${w.wd} for ${w.path}`);
        // Looked up inside the root; the watch goes on what the lookup found.
        const target = openInRoot(ctx.root, w.path, O.PATH | O.CLOEXEC);
        try {
          addWatchAs(ctx, fd, `/proc/self/fd/${target}`, w.mask, w.wd);
        } finally {
          close(target);
        }
      }
    } catch (e) {
      close(fd);
      throw e;
    }
    return fd;
  },
};
