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
import { dirname } from "../sys/path.ts";
import { readEntries, REMAP_TYPE } from "../image/mod.ts";
import type { GhostChunkEntry, GhostFileEntry } from "../image/mod.ts";
import { type Checkpoint, FD_TYPE, type FileDesc, fileKey } from "../model/mod.ts";
import {
  AT_FDCWD,
  close,
  ERRNO,
  fchmod,
  fchown,
  ftruncate,
  linkat,
  lseek,
  O,
  open,
  SEEK,
  SysError,
  unlink,
  writeAll,
} from "../sys/mod.ts";
import type { OpenContext } from "./opener.ts";
import type { RegPayload } from "./reg.ts";
import { RestoreError, why } from "./restore_error.ts";
import { imageOpenFlags } from "./open_flags.ts";

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;

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
  const linkPath = ctx.resolve(String(link.payload.name));
  const path = ctx.resolve(reg.name);
  ctx.log.info(`Remapped ${reg.name} -> ${String(link.payload.name)}`);
  try {
    linkat(AT_FDCWD, linkPath, AT_FDCWD, path, 0);
  } catch (e) {
    throw new RestoreError(`Can't link ${linkPath} -> ${path}: ${why(e)}`, { fileId: file.id }, {
      cause: e,
    });
  }
  let fd: number;
  try {
    fd = openOrFail(path, openFlags(reg), reg, file);
  } catch (e) {
    try {
      removeName(path, file);
    } catch {
      // the open's own error says more; removeName named what remains
    }
    throw e;
  }
  try {
    removeName(path, file);
  } catch (e) {
    close(fd);
    throw e;
  }
  removeOnSuccess(ctx, linkPath);
  return fd;
}

/**
 * Removes a name this restore gave back to an unlinked file. It must not stay
 * behind: one retry for a passing failure, then an error that says it remains.
 */
function removeName(path: string, file: FileDesc): void {
  try {
    unlink(path);
  } catch {
    try {
      unlink(path);
    } catch (e) {
      throw new RestoreError(`Can't unlink ${path} again, it remains: ${why(e)}`, {
        fileId: file.id,
      }, {
        cause: e,
      });
    }
  }
}

/** link_remap files still to remove, per restore, so each is removed once. */
const linkRemaps = new WeakMap<Checkpoint, Set<string>>();

function removeOnSuccess(ctx: OpenContext, linkPath: string): void {
  let set = linkRemaps.get(ctx.cp);
  if (!set) linkRemaps.set(ctx.cp, set = new Set());
  if (set.has(linkPath)) return;
  set.add(linkPath);
  ctx.afterStart(() => {
    ctx.log.info(`Unlink remap ${linkPath}`);
    unlink(linkPath);
  });
}

/** The held descriptor of each recreated ghost, by remap id, per restore. */
const ghosts = new WeakMap<Checkpoint, Map<number, number>>();

function openGhost(ctx: OpenContext, file: FileDesc, reg: RegPayload, remapId: number): number {
  let held = ghosts.get(ctx.cp);
  if (!held) ghosts.set(ctx.cp, held = new Map());
  let ghost = held.get(remapId);
  if (ghost === undefined) {
    ctx.log.info(`Opening ghost file 0x${remapId.toString(16)} for ${reg.name}`);
    ghost = createGhost(ctx, ctx.resolve(reg.name), remapId, file);
    held.set(remapId, ghost);
    const fd = ghost;
    ctx.onCleanup(() => close(fd));
  }
  return openOrFail(`/proc/self/fd/${ghost}`, openFlags(reg), reg, file);
}

/**
 * Recreates a ghost at `path` and returns a close-on-exec O_RDWR descriptor
 * of it; the name is already gone again when this returns.
 */
export function createGhost(
  ctx: OpenContext,
  path: string,
  remapId: number,
  file: FileDesc,
): number {
  const image = `ghost-file-${remapId.toString(16)}.img`;
  const [head, ...chunks] = readEntries(ctx.cp.dir, "ghost-file", remapId);
  const g = head as GhostFileEntry | undefined;
  if (!g) throw new RestoreError(`Can't open ghost file ${image}: no entry`, { fileId: file.id });
  const mode = Number(g.mode);
  if ((mode & S_IFMT) !== S_IFREG) {
    throw new RestoreError(
      `Ghost ${image} for ${path} has mode 0${mode.toString(8)}: ` +
        `only regular ghost files can be restored`,
      { fileId: file.id },
    );
  }
  let fd: number;
  try {
    fd = open(path, O.RDWR | O.CREAT | O.EXCL | O.CLOEXEC, 0o600);
  } catch (e) {
    const hint = e instanceof SysError && e.errno === ERRNO.ENOENT
      ? ` (its folder ${dirname(path)} is gone)`
      : e instanceof SysError && e.errno === ERRNO.EEXIST
      ? " (a file of that name exists now)"
      : "";
    throw new RestoreError(`Can't create ghost file ${path}${hint}: ${why(e)}`, {
      fileId: file.id,
    }, { cause: e });
  }
  try {
    try {
      fillGhost(fd, g, chunks as GhostChunkEntry[]);
      fchown(fd, Number(g.uid), Number(g.gid));
      fchmod(fd, mode & 0o7777); // after chown, which clears set-id bits
    } finally {
      removeName(path, file);
    }
  } catch (e) {
    close(fd);
    throw new RestoreError(`Can't restore ghost file ${path} from ${image}: ${why(e)}`, {
      fileId: file.id,
    }, { cause: e });
  }
  return fd;
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
