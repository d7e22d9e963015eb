/**
 * Ghosts that are not regular files: a deleted folder, FIFO, device node or
 * symlink that a task held open (ghost-file-N.img with that mode, no
 * content). criu makes the node again with mkdir, mknod or symlink and opens
 * it by name. Here each is made once per remap id under its old name (or
 * `NAME.cr_link` when that is taken), with no permission bits while it has a
 * name, and held by an O_PATH descriptor:
 *
 * - a folder, FIFO or device loses its name at once, then gets its owner and
 *   mode through the descriptor; every file of it is opened through
 *   `/proc/self/fd/HELD`, so it shows as `NAME (deleted)`;
 * - a symlink can only be opened O_PATH|O_NOFOLLOW by its name (a reopen
 *   through /proc would give the /proc link): it keeps its name until the
 *   last file of it in the images is open.
 *
 * Devices: an image may ask for any major:minor (a disk, /dev/mem) with any
 * mode. `--untrusted` refuses them (and every ghost here, as each needs a
 * name); otherwise the node exists only with mode 0 (root only) and is
 * unnamed before it gets the dumped mode.
 * A dry run makes nothing: it checks the entry and the folder.
 */
import { type GhostFileEntry, REMAP_TYPE } from "../image/mod.ts";
import type { FileDesc } from "../model/mod.ts";
import {
  close,
  closePlace,
  ERRNO,
  fchmodFd,
  fchownFd,
  fstat,
  mkdirAt,
  mknodAt,
  O,
  open,
  openAt,
  type Place,
  rmdirAt,
  S_IF,
  type Stat,
  statPlace,
  symlinkAt,
  SysError,
  unlinkPlace,
} from "../sys/mod.ts";
import { type GhostPlace, ghostPlace, removeFolders } from "./ghost_folders.ts";
import { type OpenContext, stateSlot } from "./opener.ts";
import { RestoreError, why } from "../restore_error.ts";

/** A made node: its O_PATH descriptor, and its name while it keeps one (symlinks). */
interface Node {
  fd: number;
  st: Stat;
  at?: Place;
  left: number;
  /** Folders made for it, removed with its name. */
  folders: GhostPlace["made"];
}

/** The ghost nodes this restore made, by remap id. */
const NODES = stateSlot(() => new Map<number, Node>());

/** Whether a ghost of mode `mode` is made here rather than as a regular file. */
export function isGhostNode(mode: number): boolean {
  return (mode & S_IF.MT) !== S_IF.REG;
}

/** The node of remap `remapId` if it was made already. */
export function madeGhostNode(ctx: OpenContext, remapId: number): number | undefined {
  return ctx.state(NODES).get(remapId)?.fd;
}

/**
 * A new O_PATH descriptor of the recreated node for one file of it (the
 * caller closes it); a symlink's carries `flags` (O_PATH|O_NOFOLLOW).
 * Undefined in a dry run, which makes no node.
 */
export function ghostNodeFd(
  ctx: OpenContext,
  file: FileDesc,
  path: string,
  remapId: number,
  g: GhostFileEntry,
  flags = O.PATH | O.NOFOLLOW,
): number | undefined {
  const image = `ghost-file-${remapId.toString(16)}.img`;
  const fail = (what: string, cause?: unknown) =>
    new RestoreError(`Ghost ${image} for ${path} ${what}`, { fileId: file.id }, { cause });
  const type = g.mode & S_IF.MT;
  checkEntry(ctx, g, type, fail);
  if (type === S_IF.LNK && (flags & (O.PATH | O.NOFOLLOW)) !== (O.PATH | O.NOFOLLOW)) {
    throw fail("is a symlink, but the file was not opened O_PATH|O_NOFOLLOW");
  }
  const held = ctx.state(NODES);
  let node = held.get(remapId);
  if (!node) {
    let where: GhostPlace | undefined;
    try {
      where = ghostPlace(ctx.root, path, ctx.dryRun === true);
    } catch (e) {
      throw fail(`cannot be made: its folder: ${why(e)}`, e);
    }
    if (!where) return undefined; // a dry run
    ctx.log.info(`Making ghost 0${g.mode.toString(8)} for ${path} (${image})`);
    let made;
    try {
      made = makeNode(ctx, where.place, g, type, fail);
    } catch (e) {
      removeFolders(where.made);
      throw e;
    }
    const left = [...ctx.cp.remaps.values()].filter((r) =>
      Number(r.remap_id) === remapId && Number(r.remap_type) === REMAP_TYPE.GHOST
    ).length;
    held.set(remapId, node = { ...made, left, folders: where.made });
    if (!node.at) {
      removeFolders(where.made);
    }
    const n = node;
    ctx.onCleanup(() => {
      try {
        dropName(n);
        removeFolders(n.folders);
      } finally {
        close(n.fd);
      }
    });
  }
  node.left--;
  if (!node.at) return open(`/proc/self/fd/${node.fd}`, O.PATH | O.CLOEXEC);
  const fd = openAt(node.at, flags | O.CLOEXEC);
  const st = fstat(fd);
  if (st.dev !== node.st.dev || st.ino !== node.st.ino) {
    close(fd);
    throw fail(`was replaced at ${node.at.path} while it was in use`);
  }
  if (node.left <= 0) {
    dropName(node);
    removeFolders(node.folders);
  }
  return fd;
}

function checkEntry(
  ctx: OpenContext,
  g: GhostFileEntry,
  type: number,
  fail: (what: string) => RestoreError,
): void {
  const mode = `has mode 0${g.mode.toString(8)}`;
  const device = type === S_IF.CHR || type === S_IF.BLK;
  if (ctx.untrusted && (device || type === S_IF.DIR || type === S_IF.FIFO || type === S_IF.LNK)) {
    throw fail(
      device
        ? `${mode}: a device node; --untrusted makes none`
        : `${mode}: --untrusted names no ghost`,
    );
  }
  if (device) {
    if (g.rdev === undefined) throw fail(`${mode} but no device number`);
  } else if (type === S_IF.LNK) {
    if (!g.symlnk_target) throw fail(`${mode} but no symlink target`);
  } else if (type !== S_IF.DIR && type !== S_IF.FIFO) {
    throw fail(`${mode}: only files, folders, FIFOs, devices and symlinks can be restored`);
  }
}

/** Makes the node under its name or `NAME.cr_link`, holds it, and (not a symlink) unnames it. */
function makeNode(
  ctx: OpenContext,
  place: Place,
  g: GhostFileEntry,
  type: number,
  fail: (what: string, cause?: unknown) => RestoreError,
): { fd: number; st: Stat; at?: Place } {
  const make = (at: Place) => {
    if (type === S_IF.DIR) mkdirAt(at.dir, at.name, 0);
    else if (type === S_IF.LNK) symlinkAt(g.symlnk_target!, at.dir, at.name);
    else mknodAt(at.dir, at.name, type, type === S_IF.FIFO ? 0n : BigInt(g.rdev!));
  };
  let at = place;
  try {
    try {
      make(at);
    } catch (e) {
      if (!(e instanceof SysError && e.errno === ERRNO.EEXIST)) throw e;
      at = { ...place, name: `${place.name}.cr_link`, path: `${place.path}.cr_link` };
      make(at);
    }
  } catch (e) {
    closePlace(place);
    throw fail(`cannot be made at ${at.path}: ${why(e)}`, e);
  }
  let fd: number | undefined;
  const node: Partial<Node> = { at };
  try {
    fd = openAt(at, O.PATH | O.NOFOLLOW | O.CLOEXEC);
    const st = node.st = fstat(fd);
    if ((st.mode & S_IF.MT) !== type) throw fail(`was replaced at ${at.path}`);
    if (type === S_IF.LNK) {
      fchownFd(fd, g.uid, g.gid); // the link itself: AT_EMPTY_PATH on its O_PATH descriptor
      return { fd, st, at };
    }
    dropName(node);
    fchownFd(fd, g.uid, g.gid);
    // After chown, which clears set-id bits; an untrusted image gets none.
    fchmodFd(fd, g.mode & (ctx.untrusted ? 0o777 : 0o7777));
    return { fd, st };
  } catch (e) {
    dropName(node);
    if (fd !== undefined) close(fd);
    throw e instanceof RestoreError ? e : fail(`cannot be restored at ${at.path}: ${why(e)}`, e);
  }
}

/** Removes the node's name, only while it still is the node, and lets go of the folder. */
function dropName(node: Partial<Node>): void {
  const at = node.at;
  if (!at) return;
  node.at = undefined;
  try {
    const now = statPlace(at);
    // Unheld (its open failed), it cannot be proven ours: it stays.
    if (node.st && now && now.dev === node.st.dev && now.ino === node.st.ino) {
      if ((now.mode & S_IF.MT) === S_IF.DIR) rmdirAt(at.dir, at.name);
      else unlinkPlace(at);
    }
  } finally {
    closePlace(at);
  }
}
