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
 * - a name taken since the dump is never touched: the file gets
 *   `NAME.cr_link` instead, as criu does.
 * - procfs remap (a dead task's /proc entry): refused.
 */
import { REMAP_TYPE } from "../image/mod.ts";
import { FD_TYPE, type FileDesc, fileOf } from "../model/mod.ts";
import {
  close,
  closePlace,
  ERRNO,
  fstat,
  linkFdAt,
  O,
  open,
  openAt,
  openPlace,
  type Place,
  S_IF,
  type Stat,
  statPlace,
  SysError,
  unlinkIfSame,
} from "../sys/mod.ts";
import { type OpenContext, stateSlot } from "./opener.ts";
import type { RegFileEntry } from "../image/mod.ts";
import { RestoreError, why } from "../restore_error.ts";
import { imageOpenFlags } from "./open_flags.ts";
import { openGhost } from "./ghost_file.ts";

export interface Remapped {
  fd: number;
  standIn?: boolean;
}

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

/** The flags a REG entry is reopened with. */
export function openFlags(reg: RegFileEntry): number {
  return imageOpenFlags(reg.flags);
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

/**
 * Links the inode behind `from` under the file's old name, opens it there,
 * and removes that name again. A name taken since the dump is left alone:
 * the file gets `NAME.cr_link` instead, as criu does.
 */
export function openUnderOldName(
  ctx: OpenContext,
  from: number,
  st: Stat,
  reg: RegFileEntry,
  file: FileDesc,
): number {
  const { fd, at } = linkAndOpen(ctx, from, st, reg, file);
  try {
    removeName(at, st, file);
  } catch (e) {
    close(fd);
    throw e;
  } finally {
    closePlace(at);
  }
  return fd;
}

/** {@link openUnderOldName} without the removal: the name is the caller's to remove and close. */
export function linkAndOpen(
  ctx: OpenContext,
  from: number,
  st: Stat,
  reg: RegFileEntry,
  file: FileDesc,
): { fd: number; at: Place } {
  const place = placeFor("Can't link", reg.name, ctx, file);
  let at = place;
  try {
    at = linkWithFallback(from, place, file);
    return { fd: openSame(at, st, reg, file), at };
  } catch (e) {
    try {
      if (at !== place || statPlace(place)?.ino === st.ino) removeName(at, st, file);
    } catch {
      // the open's own error says more; removeName named what remains
    }
    closePlace(place);
    throw e;
  }
}

/** Gives the inode behind `from` the name `place`, or `place.cr_link` when that is taken. */
function linkWithFallback(from: number, place: Place, file: FileDesc): Place {
  const attempt = (at: Place) => {
    try {
      linkFdAt(from, at);
      return true;
    } catch (e) {
      if (at === place && e instanceof SysError && e.errno === ERRNO.EEXIST) return false;
      const taken = e instanceof SysError && e.errno === ERRNO.EEXIST
        ? " (a file of that name exists now)"
        : "";
      throw new RestoreError(`Can't link ${at.path}${taken}: ${why(e)}`, { fileId: file.id }, {
        cause: e,
      });
    }
  };
  if (attempt(place)) return place;
  const alt = { ...place, name: `${place.name}.cr_link`, path: `${place.path}.cr_link` };
  attempt(alt);
  return alt;
}

/** The held folder of the image path `path`; `what` names the step in an error. */
export function placeFor(what: string, path: string, ctx: OpenContext, file: FileDesc): Place {
  try {
    return openPlace(ctx.root, path);
  } catch (e) {
    const gone = e instanceof SysError && e.errno === ERRNO.ENOENT ? " (its folder is gone)" : "";
    throw new RestoreError(`${what} ${path}${gone}: ${why(e)}`, {
      fileId: file.id,
    }, { cause: e });
  }
}

/**
 * Removes a name this restore gave back to an unlinked file (only while it
 * is still that inode). It must not stay behind: one retry for a passing
 * failure, then an error that says it remains.
 */
export function removeName(place: Place, st: Stat, file: FileDesc): void {
  try {
    unlinkIfSame(place, st);
  } catch {
    try {
      unlinkIfSame(place, st);
    } catch (e) {
      throw new RestoreError(`Can't unlink ${place.path} again, it remains: ${why(e)}`, {
        fileId: file.id,
      }, {
        cause: e,
      });
    }
  }
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

/**
 * Another description of the file at `at`, while that name still is the
 * inode `st`: checked on an O_PATH handle (no symlink followed), then
 * reopened through it, which keeps the name (O_NOFOLLOW would stay in the
 * status flags).
 */
export function openSame(at: Place, st: Stat, reg: RegFileEntry, file: FileDesc): number {
  let probe: number;
  try {
    probe = openAt(at, O.PATH | O.NOFOLLOW | O.CLOEXEC);
  } catch (e) {
    throw new RestoreError(
      `Unable to open ${reg.name} (file id 0x${file.id.toString(16)}): ${why(e)}`,
      {
        fileId: file.id,
      },
      { cause: e },
    );
  }
  try {
    const got = fstat(probe);
    if (got.dev !== st.dev || got.ino !== st.ino) {
      throw new RestoreError(`File ${reg.name} was replaced while it was linked`, {
        fileId: file.id,
      });
    }
    return openOrFail(`/proc/self/fd/${probe}`, openFlags(reg), reg, file);
  } finally {
    close(probe);
  }
}

export function openOrFail(path: string, flags: number, reg: RegFileEntry, file: FileDesc): number {
  try {
    return open(path, flags);
  } catch (e) {
    throw new RestoreError(
      `Unable to open ${reg.name} (file id 0x${file.id.toString(16)}): ${why(e)}`,
      {
        fileId: file.id,
      },
      { cause: e },
    );
  }
}
