/**
 * Ghost files (criu's ghost-file-N.img): a deleted regular file, its content
 * in the image. The inode is made once per remap id, unnamed (O_TMPFILE) in
 * the file's folder, and filled; each file of it is then linked under its
 * own old name, opened and unlinked, so two names of one deleted inode both
 * come back and share it. Ghosts of other types go to ghost_node.ts.
 */
import { REMAP_TYPE } from "../image/mod.ts";
import type { GhostChunkEntry, GhostFileEntry, RegFileEntry, WithExtra } from "../image/mod.ts";

/** A ghost-file head: without chunks, `extra` is the whole content. */
type GhostHead = GhostFileEntry & { extra?: Uint8Array };
import { FD_TYPE, type FileDesc, fileOf, sourceOf } from "../model/mod.ts";
import {
  close,
  closePlace,
  fchmod,
  fchown,
  fstat,
  ftruncate,
  lseek,
  O,
  open,
  openat,
  type Place,
  S_IF,
  SEEK,
  type Stat,
  writeAll,
} from "../sys/mod.ts";
import { type OpenContext, stateSlot } from "./opener.ts";
import { RestoreError, why } from "../restore_error.ts";
import { ghostNodeFd, isGhostNode, madeGhostNode } from "./ghost_node.ts";
import {
  linkAndOpen,
  openFlags,
  openOrFail,
  openSame,
  openUnderOldName,
  placeFor,
  type Remapped,
  removeName,
} from "./old_name.ts";

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

/** The ghosts this restore made, by remap id. */
const GHOSTS = stateSlot(() => new Map<number, Ghost>());

/** The ghost-file entries of remap `remapId`: the head, then content chunks. */
function ghostEntries(ctx: OpenContext, remapId: number, file: FileDesc) {
  const [head, ...chunks] = sourceOf(ctx.cp).entries("ghost-file", remapId);
  if (!head) {
    throw new RestoreError(
      `Can't open ghost file ghost-file-${remapId.toString(16)}.img: no entry`,
      {
        fileId: file.id,
      },
    );
  }
  // The image table's "ghost" layout: a ghost_file_entry, then chunks.
  return { head: head as GhostHead, chunks: chunks as WithExtra<GhostChunkEntry>[] };
}

/** The regular ghost of remap `remapId`, made on first use; undefined for a non-regular one. */
function ghostFor(
  ctx: OpenContext,
  remapId: number,
  path: string,
  file: FileDesc,
  entries = ghostEntries(ctx, remapId, file),
): Ghost | undefined {
  const held = ctx.state(GHOSTS);
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
  ctx.onCleanup(() => {
    dropKeeper(ghost, file);
    close(fd);
  });
  return ghost;
}

export function openGhost(
  ctx: OpenContext,
  file: FileDesc,
  reg: RegFileEntry,
  remapId: number,
): Remapped {
  const entries = ctx.state(GHOSTS).has(remapId) ? undefined : ghostEntries(ctx, remapId, file);
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
  reg: RegFileEntry,
  remapId: number,
  head: GhostHead,
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
  reg: RegFileEntry,
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
    if (remap.remap_type !== REMAP_TYPE.GHOST) continue;
    const orig = fileOf(ctx.cp, FD_TYPE.REG, origId);
    if (!orig) continue;
    const remapId = remap.remap_id;
    const entries = ghostEntries(ctx, remapId, orig);
    if (entries.head.dev !== dev || (entries.head.ino ?? -1n) !== ino) continue;
    const name = orig.payload.name;
    const g = ghostFor(ctx, remapId, name, orig, entries);
    if (g) return g.fd;
    const made = madeGhostNode(ctx, remapId);
    if (made !== undefined) return made;
    const fd = ghostNodeFd(ctx, orig, name, remapId, entries.head);
    if (fd === undefined) return "unmade";
    close(fd);
    return madeGhostNode(ctx, remapId);
  }
  return undefined;
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
  g: GhostHead,
  chunks: WithExtra<GhostChunkEntry>[],
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

function fillGhost(fd: number, g: GhostHead, chunks: WithExtra<GhostChunkEntry>[]): void {
  if (g.chunks !== true) {
    if (g.extra) writeAll(fd, g.extra);
    return;
  }
  for (const c of chunks) {
    lseek(fd, c.off, SEEK.SET);
    writeAll(fd, c.extra);
  }
  if (g.size !== undefined) ftruncate(fd, g.size); // trailing hole
}
