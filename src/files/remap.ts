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
 * - ghost file: the content is in `ghost-file-<hex remap_id>.img`. The inode
 *   is made once per remap id, unnamed (O_TMPFILE) in the file's folder, and
 *   filled; each file of it is then linked under its own old name, opened and
 *   unlinked, so two names of one deleted inode both come back and share it.
 * - a name taken since the dump is never touched: the file gets
 *   `NAME.cr_link` instead, as criu does.
 * - procfs remap (a dead task's /proc entry): refused.
 */
import { REMAP_TYPE } from "../image/mod.ts";
import type { GhostChunkEntry, GhostFileEntry } from "../image/mod.ts";
import { type Checkpoint, directorySource, FD_TYPE, type FileDesc, fileKey } from "../model/mod.ts";
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
  statPlace,
  SysError,
  unlinkIfSame,
  writeAll,
} from "../sys/mod.ts";
import type { OpenContext } from "./opener.ts";
import type { RegPayload } from "./reg.ts";
import { RestoreError, why } from "./restore_error.ts";
import { imageOpenFlags } from "./open_flags.ts";
import { ghostNodeFd, isGhostNode, madeGhostNode } from "./ghost_node.ts";

/** A remapped file's descriptor; `standIn` when a dry run opened something else (nothing made). */
export interface Remapped {
  fd: number;
  standIn?: boolean;
}

/** A descriptor for a remapped file, or undefined when `file` has no remap. */
export function openRemapped(
  ctx: OpenContext,
  file: FileDesc,
  reg: RegPayload,
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

/**
 * Links the inode behind `from` under the file's old name, opens it there,
 * and removes that name again. A name taken since the dump is left alone:
 * the file gets `NAME.cr_link` instead, as criu does.
 */
function openUnderOldName(
  ctx: OpenContext,
  from: number,
  st: Stat,
  reg: RegPayload,
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
function linkAndOpen(
  ctx: OpenContext,
  from: number,
  st: Stat,
  reg: RegPayload,
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

/**
 * A recreated ghost: its descriptor, and the name its first file was opened
 * under, kept (an inode linked once can be linked again only while it has a
 * name) until the last of its files in the images is open.
 */
interface Ghost {
  fd: number;
  st: Stat;
  left: number;
  keeper?: Place;
  /** The image path the keeper stands for. */
  keeperOf?: string;
}

/** The ghosts of each restore, by remap id. */
const ghosts = new WeakMap<Checkpoint, Map<number, Ghost>>();

/** The ghost-file entries of remap `remapId`: the head, then content chunks. */
function ghostEntries(ctx: OpenContext, remapId: number, file: FileDesc) {
  const [head, ...chunks] = (ctx.cp.source ?? directorySource(ctx.cp.dir))
    .entries("ghost-file", remapId) as unknown as (GhostFileEntry | GhostChunkEntry)[];
  if (!head) {
    throw new RestoreError(
      `Can't open ghost file ghost-file-${remapId.toString(16)}.img: no entry`,
      {
        fileId: file.id,
      },
    );
  }
  return { head: head as GhostFileEntry, chunks: chunks as GhostChunkEntry[] };
}

/** The regular ghost of remap `remapId`, made on first use; undefined for a non-regular one. */
function ghostFor(
  ctx: OpenContext,
  remapId: number,
  path: string,
  file: FileDesc,
  entries = ghostEntries(ctx, remapId, file),
): Ghost | undefined {
  let held = ghosts.get(ctx.cp);
  if (!held) ghosts.set(ctx.cp, held = new Map());
  const known = held.get(remapId);
  if (known !== undefined) return known;
  if (isGhostNode(Number(entries.head.mode))) return undefined;
  ctx.log.info(`Opening ghost file 0x${remapId.toString(16)} for ${path}`);
  const fd = createGhost(ctx, path, remapId, file, entries.head, entries.chunks);
  const left =
    [...ctx.cp.remaps.values()].filter((r) =>
      Number(r.remap_id) === remapId && Number(r.remap_type) === REMAP_TYPE.GHOST
    ).length;
  const ghost: Ghost = { fd, st: fstat(fd), left };
  held.set(remapId, ghost);
  const cache = held;
  ctx.onCleanup(() => {
    cache.delete(remapId);
    dropKeeper(ghost, file);
    close(fd);
  });
  return ghost;
}

function openGhost(ctx: OpenContext, file: FileDesc, reg: RegPayload, remapId: number): Remapped {
  const entries = ghosts.get(ctx.cp)?.has(remapId) ? undefined : ghostEntries(ctx, remapId, file);
  const g = ghostFor(ctx, remapId, reg.name, file, entries);
  if (!g) return openNodeFile(ctx, file, reg, remapId, entries!.head);
  g.left--;
  // Unnamed (dry run, untrusted): a reopen. Otherwise each file gets its own old name.
  if (ctx.dryRun || ctx.untrusted) {
    return { fd: openOrFail(`/proc/self/fd/${g.fd}`, openFlags(reg), reg, file) };
  }
  let fd: number;
  if (!g.keeper) {
    ({ fd, at: g.keeper } = linkAndOpen(ctx, g.fd, g.st, reg, file));
    g.keeperOf = reg.name;
  } else if (g.keeperOf === reg.name) fd = openSame(g.keeper, g.st, reg, file);
  else fd = openUnderOldName(ctx, g.fd, g.st, reg, file);
  if (g.left <= 0) {
    try {
      dropKeeper(g, file);
    } catch (e) {
      close(fd);
      throw e;
    }
  }
  return { fd };
}

/** A file of a folder, device or symlink ghost (see ghost_node.ts); a dry run's is /dev/null. */
function openNodeFile(
  ctx: OpenContext,
  file: FileDesc,
  reg: RegPayload,
  remapId: number,
  head: GhostFileEntry,
): Remapped {
  if ((head.mode & S_IF.MT) === S_IF.FIFO) {
    throw new RestoreError(`File ${reg.name} is a regular file, but its ghost is a FIFO`, {
      fileId: file.id,
    });
  }
  const flags = openFlags(reg);
  const node = ghostNodeFd(ctx, file, reg.name, remapId, head, flags);
  if (node === undefined) return { fd: open("/dev/null", O.RDONLY | O.CLOEXEC), standIn: true };
  if ((head.mode & S_IF.MT) === S_IF.LNK) return { fd: node };
  try {
    return { fd: openOrFail(`/proc/self/fd/${node}`, flags, reg, file) };
  } finally {
    close(node);
  }
}

/**
 * An O_PATH descriptor of a deleted FIFO made again (the caller closes it);
 * undefined in a dry run, which makes none.
 */
export function openGhostFifo(
  ctx: OpenContext,
  file: FileDesc,
  reg: RegPayload,
): number | undefined {
  const remap = ctx.cp.remaps.get(file.id)!;
  const remapId = Number(remap.remap_id);
  const { head } = ghostEntries(ctx, remapId, file);
  if (Number(remap.remap_type) !== REMAP_TYPE.GHOST || (head.mode & S_IF.MT) !== S_IF.FIFO) {
    throw new RestoreError(`FIFO ${reg.name} was deleted, and its remap is not a FIFO ghost`, {
      fileId: file.id,
    });
  }
  return ghostNodeFd(ctx, file, reg.name, remapId, head);
}

/**
 * The descriptor (owned by the restore) of the ghost that was inode `ino` of
 * device `dev` at dump time, made on first use: what an inotify watch stored
 * only as a file handle was on, as criu looks it up. Undefined when no ghost
 * was that inode; "unmade" in a dry run for a ghost that is not a regular file.
 */
export function ghostByInode(
  ctx: OpenContext,
  dev: number,
  ino: bigint,
): number | "unmade" | undefined {
  for (const [origId, remap] of ctx.cp.remaps) {
    if (Number(remap.remap_type) !== REMAP_TYPE.GHOST) continue;
    const orig = ctx.cp.files.get(fileKey(FD_TYPE.REG, origId));
    if (!orig) continue;
    const remapId = Number(remap.remap_id);
    const entries = ghostEntries(ctx, remapId, orig);
    if (Number(entries.head.dev) !== dev || BigInt(entries.head.ino ?? -1n) !== ino) continue;
    const name = String(orig.payload.name);
    const g = ghostFor(ctx, remapId, name, orig, entries);
    if (g) return g.fd;
    const made = madeGhostNode(ctx.cp, remapId);
    if (made !== undefined) return made;
    const fd = ghostNodeFd(ctx, orig, name, remapId, entries.head);
    if (fd === undefined) return "unmade";
    close(fd);
    return madeGhostNode(ctx.cp, remapId);
  }
  return undefined;
}

/**
 * Another description of the file at `at`, while that name still is the
 * inode `st`: checked on an O_PATH handle (no symlink followed), then
 * reopened through it, which keeps the name (O_NOFOLLOW would stay in the
 * status flags).
 */
function openSame(at: Place, st: Stat, reg: RegPayload, file: FileDesc): number {
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

function dropKeeper(g: Ghost, file: FileDesc): void {
  const keeper = g.keeper;
  if (!keeper) return;
  g.keeper = undefined;
  try {
    removeName(keeper, g.st, file);
  } finally {
    closePlace(keeper);
  }
}

/**
 * Recreates a ghost as an unnamed file (O_TMPFILE) in the folder of the
 * image path `path`, filled, with its owner and mode, and returns a
 * close-on-exec O_RDWR descriptor of it. No name appears while it is filled;
 * each file of the ghost then links it briefly under its own name. A dry run
 * and an untrusted image make it unlinkable (O_EXCL): no name ever appears.
 */
function createGhost(
  ctx: OpenContext,
  path: string,
  remapId: number,
  file: FileDesc,
  g: GhostFileEntry,
  chunks: GhostChunkEntry[],
): number {
  const image = `ghost-file-${remapId.toString(16)}.img`;
  const mode = Number(g.mode);
  const place = placeFor("Can't create ghost file", path, ctx, file);
  try {
    const unlinkable = ctx.dryRun || ctx.untrusted ? O.EXCL : 0;
    let fd: number;
    try {
      fd = openat(place.dir, ".", O.TMPFILE | O.RDWR | O.CLOEXEC | unlinkable, 0o600);
    } catch (e) {
      throw new RestoreError(`Can't create ghost file ${path}: ${why(e)}`, { fileId: file.id }, {
        cause: e,
      });
    }
    try {
      fillGhost(fd, g, chunks);
      fchown(fd, Number(g.uid), Number(g.gid));
      // After chown, which clears set-id bits; an untrusted image gets none.
      fchmod(fd, mode & (ctx.untrusted ? 0o777 : 0o7777));
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

function openOrFail(path: string, flags: number, reg: RegPayload, file: FileDesc): number {
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
