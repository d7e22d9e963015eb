/**
 * Giving an unlinked file its old name back for as long as it takes to open
 * it there (so that the open shows the dumped name), for link remaps
 * (remap.ts) and ghost files (ghost_file.ts) alike.
 */
import type { RegFileEntry } from "../image/mod.ts";
import type { FileDesc } from "../model/mod.ts";
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
  type Stat,
  statPlace,
  SysError,
  unlinkIfSame,
} from "../sys/mod.ts";
import type { OpenContext } from "./opener.ts";
import { RestoreError, why } from "../restore_error.ts";
import { imageOpenFlags } from "./open_flags.ts";

/** A remapped file's descriptor; `standIn` when it is not the file (a dry run's /dev/null). */
export interface Remapped {
  fd: number;
  standIn?: boolean;
}

/** The flags a REG entry is reopened with. */
export function openFlags(reg: RegFileEntry): number {
  return imageOpenFlags(reg.flags);
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
