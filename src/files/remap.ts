/**
 * Files that were unlinked or renamed while open (remap-fpath.img, CRIU's
 * files-reg.c). The open must show the dumped name, "(deleted)", so each
 * such file is briefly given its old name back, opened, and unlinked again:
 *
 * - linked remap (`criu dump --link-remap`): CRIU left a hard link
 *   `link_remap.N` (the REG file `remap_id`). Link it under the original
 *   name, open, unlink that name; `link_remap.N` itself is removed once the
 *   restore succeeded, as CRIU does (kept on failure, so a retry still works).
 * - ghost file: the content is in `ghost-file-<hex remap_id>.img`. The file is
 *   created once per remap id at the original name (O_EXCL: never over an
 *   existing file), filled, and unlinked at once; every description of it
 *   is then a reopen of that inode through /proc/self/fd, so two opens of one
 *   deleted file still share the inode, as in the dump.
 * - procfs remap (a dead task's /proc entry): refused.
 */
import { readEntries, REMAP_TYPE } from "../image/mod.ts";
import type { GhostChunkEntry, GhostFileEntry } from "../image/mod.ts";
import { type Checkpoint, FD_TYPE, type FileDesc, fileKey } from "../model/mod.ts";
import {
  close,
  closePlace,
  ERRNO,
  fchmod,
  fchown,
  fstat,
  ftruncate,
  linkFdAt,
  lseek,
  O,
  open,
  openAt,
  openat,
  openPlace,
  type Place,
  S_IF,
  SEEK,
  type Stat,
  statAt,
  SysError,
  unlinkIfSame,
  writeAll,
} from "../sys/mod.ts";
import type { OpenContext } from "./opener.ts";
import type { RegPayload } from "./reg.ts";
import { RestoreError, why } from "./restore_error.ts";
import { imageOpenFlags } from "./open_flags.ts";

/** A descriptor for a remapped file, or undefined when `file` has no remap. */
export function openRemapped(
  ctx: OpenContext,
  file: FileDesc,
  reg: RegPayload,
): number | undefined {
  const remap = ctx.cp.remaps.get(file.id);
  if (!remap) return undefined;
  const remapId = Number(remap.remap_id);
  switch (Number(remap.remap_type ?? REMAP_TYPE.LINKED)) {
    case REMAP_TYPE.LINKED:
      return openLinked(ctx, file, reg, remapId);
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
function openFlags(reg: RegPayload): number {
  return imageOpenFlags(reg.flags);
}

function openLinked(ctx: OpenContext, file: FileDesc, reg: RegPayload, remapId: number): number {
  const link = ctx.cp.files.get(fileKey(FD_TYPE.REG, remapId));
  if (!link) {
    throw new RestoreError(
      `File ${reg.name}: no file 0x${remapId.toString(16)} for its link remap`,
      { fileId: file.id },
    );
  }
  const linkName = String(link.payload.name);
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
function linkRemapFile(place: Place, reg: RegPayload, file: FileDesc): number {
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

/** Links the inode under its old name, opens it there, and removes that name again. */
function openUnderOldName(
  ctx: OpenContext,
  linkFd: number,
  st: Stat,
  reg: RegPayload,
  file: FileDesc,
): number {
  const place = placeFor("Can't link", reg.name, ctx, file);
  try {
    try {
      linkFdAt(linkFd, place);
    } catch (e) {
      throw new RestoreError(`Can't link ${place.path} to its link remap: ${why(e)}`, {
        fileId: file.id,
      }, { cause: e });
    }
    let fd: number;
    try {
      fd = openOrFail(place, openFlags(reg) | O.NOFOLLOW, reg, file);
      const got = fstat(fd);
      if (got.dev !== st.dev || got.ino !== st.ino) {
        close(fd);
        throw new RestoreError(`File ${reg.name} was replaced while it was linked`, {
          fileId: file.id,
        });
      }
    } catch (e) {
      try {
        removeName(place, st, file);
      } catch {
        // the open's own error says more; removeName named what remains
      }
      throw e;
    }
    try {
      removeName(place, st, file);
    } catch (e) {
      close(fd);
      throw e;
    }
    return fd;
  } finally {
    closePlace(place);
  }
}

/** The held folder of the image path `path`; `what` names the step in an error. */
function placeFor(what: string, path: string, ctx: OpenContext, file: FileDesc): Place {
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
function removeName(place: Place, st: Stat, file: FileDesc): void {
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

/** link_remap inodes still to remove, per restore, so each is removed once. */
const linkRemaps = new WeakMap<Checkpoint, Set<string>>();

/**
 * Removes the link remap once the tasks run, as criu does, while the name
 * still is that inode; an untrusted image's are kept. True when `place` is
 * now owned by the restore (closed at its end).
 */
function removeOnSuccess(ctx: OpenContext, place: Place, st: Stat): boolean {
  let set = linkRemaps.get(ctx.cp);
  if (!set) linkRemaps.set(ctx.cp, set = new Set());
  const key = `${st.dev}:${st.ino}`;
  if (set.has(key)) return false;
  set.add(key);
  ctx.onCleanup(() => {
    set.delete(key);
    closePlace(place);
  });
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

/** The held descriptor of each recreated ghost, by remap id, per restore. */
const ghosts = new WeakMap<Checkpoint, Map<number, number>>();

function openGhost(ctx: OpenContext, file: FileDesc, reg: RegPayload, remapId: number): number {
  let held = ghosts.get(ctx.cp);
  if (!held) ghosts.set(ctx.cp, held = new Map());
  let ghost = held.get(remapId);
  if (ghost === undefined) {
    ctx.log.info(`Opening ghost file 0x${remapId.toString(16)} for ${reg.name}`);
    ghost = createGhost(ctx, reg.name, remapId, file);
    held.set(remapId, ghost);
    const fd = ghost;
    const cache = held;
    ctx.onCleanup(() => {
      cache.delete(remapId);
      close(fd);
    });
  }
  return openOrFail(`/proc/self/fd/${ghost}`, openFlags(reg), reg, file);
}

/**
 * Recreates a ghost at the image path `path` and returns a close-on-exec
 * O_RDWR descriptor of it; the name is already gone again when this returns.
 * A dry run and an untrusted image make it unnamed (O_TMPFILE in its
 * folder): no name ever appears.
 */
function createGhost(ctx: OpenContext, path: string, remapId: number, file: FileDesc): number {
  const image = `ghost-file-${remapId.toString(16)}.img`;
  const [head, ...chunks] = readEntries(ctx.cp.dir, "ghost-file", remapId);
  const g = head as GhostFileEntry | undefined;
  if (!g) throw new RestoreError(`Can't open ghost file ${image}: no entry`, { fileId: file.id });
  const mode = Number(g.mode);
  if ((mode & S_IF.MT) !== S_IF.REG) {
    throw new RestoreError(
      `Ghost ${image} for ${path} has mode 0${mode.toString(8)}: ` +
        `only regular ghost files can be restored`,
      { fileId: file.id },
    );
  }
  const place = placeFor("Can't create ghost file", path, ctx, file);
  try {
    const unnamed = ctx.dryRun || ctx.untrusted;
    if (unnamed && statAt(place) !== undefined) throw ghostError(path, ERRNO.EEXIST, file);
    let fd: number;
    try {
      fd = unnamed
        ? openat(place.dir, ".", O.TMPFILE | O.RDWR | O.EXCL | O.CLOEXEC, 0o600)
        : openAt(place, O.RDWR | O.CREAT | O.EXCL | O.NOFOLLOW | O.CLOEXEC, 0o600);
    } catch (e) {
      throw ghostError(path, e instanceof SysError ? e.errno : 0, file, e);
    }
    const st = fstat(fd);
    try {
      try {
        fillGhost(fd, g, chunks as GhostChunkEntry[]);
        fchown(fd, Number(g.uid), Number(g.gid));
        // After chown, which clears set-id bits; an untrusted image gets none.
        fchmod(fd, mode & (ctx.untrusted ? 0o777 : 0o7777));
      } finally {
        if (!unnamed) removeName(place, st, file);
      }
    } catch (e) {
      close(fd);
      throw new RestoreError(`Can't restore ghost file ${path} from ${image}: ${why(e)}`, {
        fileId: file.id,
      }, { cause: e });
    }
    return fd;
  } finally {
    closePlace(place);
  }
}

function ghostError(path: string, errno: number, file: FileDesc, cause?: unknown): RestoreError {
  const hint = errno === ERRNO.EEXIST ? " (a file of that name exists now)" : "";
  const text = cause === undefined ? `EEXIST` : why(cause);
  return new RestoreError(`Can't create ghost file ${path}${hint}: ${text}`, {
    fileId: file.id,
  }, { cause });
}

function fillGhost(fd: number, g: GhostFileEntry, chunks: GhostChunkEntry[]): void {
  if (g.chunks !== true) {
    if (g.extra) writeAll(fd, g.extra);
    return;
  }
  for (const c of chunks) {
    lseek(fd, BigInt(c.off), SEEK.SET);
    writeAll(fd, c.extra);
  }
  if (g.size !== undefined) ftruncate(fd, BigInt(g.size)); // trailing hole
}

function openOrFail(
  at: string | Place,
  flags: number,
  reg: RegPayload,
  file: FileDesc,
): number {
  try {
    return typeof at === "string" ? open(at, flags) : openAt(at, flags);
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
