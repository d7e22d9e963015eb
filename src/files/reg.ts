/**
 * Regular files, directories and devices (CRIU's files-reg.c): open the path
 * with the dumped flags, check mode and size, seek, restore the owner.
 * Inherited paths are used as they are; external files (`file[MNT:INO]`)
 * are reopened from the inherited fd; unlinked files come back from their
 * remap (see remap.ts).
 */
import {
  closeQuietly,
  fstat,
  getFlags,
  lseek,
  O,
  open,
  openat,
  openInRoot,
  openParentInRoot,
  S_IF,
  SEEK,
  setFlags,
  type Stat,
} from "../sys/mod.ts";
import { externalMissing, inherited as inheritedFd } from "./inherited.ts";
import type { RegFileEntry } from "../image/mod.ts";
import { FD_TYPE, type FileDesc, type RegFile } from "../model/mod.ts";
import type { FileOpener, OpenContext, OpenResult } from "./opener.ts";
import { restoreOwner } from "./params.ts";
import { hex, RestoreError, why } from "../restore_error.ts";
import { openRemapped } from "./remap.ts";
import { imageOpenFlags } from "./open_flags.ts";

const POS_NONE = (1n << 64n) - 1n;

/** Opens a REG file's description; also used by FIFOs and ttys for their paths. */
export function openRegFile(ctx: OpenContext, file: RegFile): number {
  const reg = file.payload;
  const inherited = inheritedFd(ctx, file);
  if (inherited && !reg.ext) {
    // The caller's description as it is: its mode and offset replace the image's.
    return inherited.fd;
  }
  let fd: number;
  let st: Stat | undefined; // known already when the open went through a probe
  if (reg.ext) {
    if (!inherited) throw externalMissing(ctx, file, reg.name);
    try {
      fd = reopen(
        () => open(`/proc/self/fd/${inherited.fd}`, imageOpenFlags(reg.flags)),
        reg,
        file,
      );
    } finally {
      closeQuietly(inherited.fd);
    }
  } else {
    const remapped = openRemapped(ctx, file, reg);
    if (remapped?.standIn) return remapped.fd; // a dry run made no ghost: nothing to check
    if (remapped !== undefined) fd = remapped.fd;
    else ({ fd, st } = reopen(() => openInPlace(ctx, reg, file), reg, file));
  }
  try {
    checkAndSeek(fd, reg, file, st);
    restoreOwner(ctx, fd, reg.fown);
  } catch (e) {
    closeQuietly(fd);
    throw e;
  }
  return fd;
}

/**
 * Opens the path inside the root. When the image knows the file's type, it is
 * checked on an O.PATH descriptor first: opening a FIFO would block and opening
 * a device acts on it; the same inode is then reopened through /proc, and the
 * probe's stat is the opened file's.
 */
function openInPlace(
  ctx: OpenContext,
  reg: RegFileEntry,
  file: FileDesc,
): { fd: number; st?: Stat } {
  const flags = imageOpenFlags(reg.flags);
  if (reg.mode === undefined || (flags & O.PATH) !== 0) {
    return { fd: openInRoot(ctx.root, reg.name, flags) };
  }
  if ((flags & O.NOFOLLOW) !== 0) return openNoFollow(ctx, reg, file, flags);
  const probe = openInRoot(ctx.root, reg.name, O.PATH | O.CLOEXEC);
  try {
    const st = probeType(probe, reg, file);
    return { fd: open(`/proc/self/fd/${probe}`, flags), st };
  } finally {
    closeQuietly(probe);
  }
}

function probeType(probe: number, reg: RegFileEntry, file: FileDesc): Stat {
  const st = fstat(probe);
  if ((st.mode & S_IF.MT) !== (reg.mode! & S_IF.MT)) throw badMode(reg, st.mode, file);
  return st;
}

/**
 * O_NOFOLLOW stays in the description (criu's restored fd has it) and only
 * open() can set it, but the kernel refuses it on the /proc/self/fd magic
 * link (ELOOP). So the last component is opened from its folder: probed
 * O.PATH first, then opened non-blocking and without taking a controlling
 * terminal, and kept only if it is the probed inode. A FIFO or device put
 * there between the two calls is never waited on, and is closed at once.
 */
function openNoFollow(
  ctx: OpenContext,
  reg: RegFileEntry,
  file: FileDesc,
  flags: number,
): { fd: number; st: Stat } {
  const { dir, name } = openParentInRoot(ctx.root, reg.name);
  try {
    const last = name ?? ".";
    const probe = openat(dir, last, O.PATH | O.CLOEXEC | O.NOFOLLOW);
    let st: Stat;
    try {
      st = probeType(probe, reg, file);
    } finally {
      closeQuietly(probe);
    }
    const fd = openat(dir, last, flags | O.NONBLOCK | O.NOCTTY);
    try {
      const now = fstat(fd);
      if (now.dev !== st.dev || now.ino !== st.ino) {
        throw new RestoreError(`File ${reg.name} was replaced while it was opened`, {
          fileId: file.id,
        });
      }
      if ((flags & O.NONBLOCK) === 0) setFlags(fd, getFlags(fd) & ~O.NONBLOCK);
      return { fd, st: now };
    } catch (e) {
      closeQuietly(fd);
      throw e;
    }
  } finally {
    closeQuietly(dir);
  }
}

function badMode(reg: RegFileEntry, mode: number, file: FileDesc): RestoreError {
  return new RestoreError(
    `File ${reg.name} has bad mode 0${mode.toString(8)} (expect 0${reg.mode?.toString(8)})`,
    { fileId: file.id },
  );
}

function reopen<T>(opener: () => T, reg: RegFileEntry, file: FileDesc): T {
  try {
    return opener();
  } catch (e) {
    if (e instanceof RestoreError) throw e;
    throw new RestoreError(`Unable to open ${reg.name} (file id ${hex(file.id)}): ${why(e)}`, {
      fileId: file.id,
    }, { cause: e });
  }
}

function checkAndSeek(fd: number, reg: RegFileEntry, file: FileDesc, st = fstat(fd)): void {
  if (reg.mode !== undefined && st.mode !== reg.mode) throw badMode(reg, st.mode, file);
  if (reg.size !== undefined && st.size !== reg.size) {
    throw new RestoreError(`File ${reg.name} has bad size ${st.size} (expect ${reg.size})`, {
      fileId: file.id,
    });
  }
  // A new description starts at offset 0 (O_APPEND too, until its first write).
  if (
    (reg.flags & O.PATH) === 0 && reg.pos !== POS_NONE && reg.pos !== 0n
  ) {
    lseek(fd, reg.pos, SEEK.SET);
  }
}

export const regOpener: FileOpener<typeof FD_TYPE.REG> = {
  type: FD_TYPE.REG,
  open(ctx: OpenContext, file: RegFile): OpenResult {
    return openRegFile(ctx, file);
  },
};
