/**
 * Files that were unlinked or renamed while open (remap-fpath.img, CRIU's
 * files-reg.c). The open must show the dumped name, "(deleted)", so each
 * such file is briefly given its old name back, opened, and unlinked again:
 *
 * - linked remap (`criu dump --link-remap`): CRIU left a hard link
 *   `link_remap.N` (the REG file `remap_id`). Link it under the original
 *   name, open, unlink that name; `link_remap.N` itself is removed once the
 *   restore succeeded, as CRIU does (kept on failure, so a retry still works),
 *   and only while it provably is one (see linkRemapFile).
 * - ghost file: its content is in `ghost-file-<hex remap_id>.img` (see
 *   ghost_file.ts; folders, FIFOs, devices and symlinks in ghost_node.ts).
 *
 * How the old name is given back and removed again is old_name.ts.
 * - a name taken since the dump is never touched: the file gets
 *   `NAME.cr_link` instead, as criu does.
 * - procfs remap (a dead task's /proc entry): refused.
 */
import { REMAP_TYPE } from "../image/mod.ts";
import { FD_TYPE, type FileDesc, fileOf } from "../model/mod.ts";
import {
  close,
  closePlace,
  fstat,
  O,
  openAt,
  type Place,
  S_IF,
  type Stat,
  unlinkIfSame,
} from "../sys/mod.ts";
import { type OpenContext, stateSlot } from "./opener.ts";
import type { RegFileEntry } from "../image/mod.ts";
import { RestoreError, why } from "../restore_error.ts";
import { openGhost } from "./ghost_file.ts";
import { openFlags, openOrFail, openUnderOldName, placeFor, type Remapped } from "./old_name.ts";

/** A descriptor for a remapped file, or undefined when `file` has no remap. */
export function openRemapped(
  ctx: OpenContext,
  file: FileDesc,
  reg: RegFileEntry,
): Remapped | undefined {
  const remap = ctx.cp.remaps.get(file.id);
  if (!remap) return undefined;
  const remapId = Number(remap.remap_id);
  switch (Number(remap.remap_type ?? REMAP_TYPE.LINKED)) {
    case REMAP_TYPE.LINKED:
      return { fd: openLinked(ctx, file, reg, remapId) };
    case REMAP_TYPE.GHOST:
      return openGhost(ctx, file, reg, remapId);
    default:
      throw new RestoreError(
        `File ${reg.name} (id 0x${file.id.toString(16)}) is a /proc entry of a dead task ` +
          `(procfs remap 0x${remapId.toString(16)}); fdrestore cannot restore it`,
        { fileId: file.id },
      );
  }
}

function openLinked(ctx: OpenContext, file: FileDesc, reg: RegFileEntry, remapId: number): number {
  const link = fileOf(ctx.cp, FD_TYPE.REG, remapId);
  if (!link) {
    throw new RestoreError(
      `File ${reg.name}: no file 0x${remapId.toString(16)} for its link remap`,
      { fileId: file.id },
    );
  }
  const linkName = link.payload.name;
  ctx.log.info(`Remapped ${reg.name} -> ${linkName}`);
  const linkPlace = placeFor("Can't open link remap", linkName, ctx, file);
  let keepLink = false;
  try {
    const linkFd = linkRemapFile(linkPlace, reg, file);
    try {
      // A dry run opens the link remap itself: no name is made or removed.
      if (ctx.dryRun) return openOrFail(`/proc/self/fd/${linkFd}`, openFlags(reg), reg, file);
      const st = fstat(linkFd);
      const fd = openUnderOldName(ctx, linkFd, st, reg, file);
      keepLink = removeOnSuccess(ctx, linkPlace, st);
      return fd;
    } finally {
      close(linkFd);
    }
  } finally {
    if (!keepLink) closePlace(linkPlace);
  }
}

/**
 * An O_PATH descriptor of the link remap, refused unless it provably is one:
 * named `link_remap.N` and of the very type and mode the file had.
 */
function linkRemapFile(place: Place, reg: RegFileEntry, file: FileDesc): number {
  if (!/^link_remap\.\d+$/.test(place.name)) {
    throw new RestoreError(
      `File ${reg.name}: its link remap ${place.path} is not named link_remap.N; refused`,
      { fileId: file.id },
    );
  }
  let fd: number;
  try {
    fd = openAt(place, O.PATH | O.NOFOLLOW | O.CLOEXEC);
  } catch (e) {
    throw new RestoreError(`Can't open link remap ${place.path}: ${why(e)}`, { fileId: file.id }, {
      cause: e,
    });
  }
  const mode = fstat(fd).mode;
  if ((mode & S_IF.MT) !== S_IF.REG || (reg.mode !== undefined && mode !== reg.mode)) {
    close(fd);
    throw new RestoreError(
      `File ${reg.name}: ${place.path} (mode 0${mode.toString(8)}) is not its link remap`,
      { fileId: file.id },
    );
  }
  return fd;
}

/** link_remap inodes this restore removes (dev:ino), so each is removed once. */
const LINK_REMAPS = stateSlot(() => new Set<string>());

/**
 * Removes the link remap once the tasks run, as criu does, while the name
 * still is that inode; an untrusted image's are kept. True when `place` is
 * now owned by the restore (closed at its end).
 */
function removeOnSuccess(ctx: OpenContext, place: Place, st: Stat): boolean {
  const set = ctx.state(LINK_REMAPS);
  const key = `${st.dev}:${st.ino}`;
  if (set.has(key)) return false;
  set.add(key);
  ctx.onCleanup(() => closePlace(place));
  if (ctx.untrusted) {
    ctx.log.info(`Link remap ${place.path} kept (--untrusted removes nothing)`);
    return true;
  }
  ctx.afterStart(() => {
    ctx.log.info(`Unlink remap ${place.path}`);
    unlinkIfSame(place, st);
  });
  return true;
}
