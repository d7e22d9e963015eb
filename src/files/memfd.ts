/**
 * memfds (CRIU's memfd.c): each inode of memfd.img is made once with
 * memfd_create() under its name, filled from the shmem page images, given
 * its mode, owner and seals; every dumped description of it is a reopen of
 * `/proc/self/fd/<inode fd>` with that description's flags, then offset and
 * owner. An inherited `/memfd:NAME` is used as it is.
 */
import {
  addSeals,
  close,
  fchmod,
  fchown,
  ftruncate,
  lseek,
  memfdCreate,
  MFD,
  open,
  SEEK,
  writeAll,
} from "../sys/mod.ts";
import { inherited as inheritedFd } from "./inherited.ts";
import { FD_TYPE, type FileOf, type ImageSource, readShmem, sourceOf } from "../model/mod.ts";
import { type FileOpener, type OpenContext, type OpenResult, stateSlot } from "./opener.ts";
import type { MemfdInodeEntry } from "../image/mod.ts";
import { restoreOwner } from "./params.ts";
import { RestoreError } from "../restore_error.ts";
import { imageOpenFlags } from "./open_flags.ts";

const MFD_HUGETLB = 4;
/** Seals only memfd_create(MFD_ALLOW_SEALING) files accept; F_SEAL_SEAL goes last. */
const F_SEAL_SEAL = 1;

/** The inode fd of each memfd inode this restore made. */
const INODES = stateSlot(() => new Map<bigint, number>());

type MemfdFile = FileOf<typeof FD_TYPE.MEMFD>;

function inodeEntry(ctx: OpenContext, file: MemfdFile): MemfdInodeEntry {
  const id = BigInt(file.payload.inode_id); // a u32 here, a u64 in memfd.img
  const inode = ctx.cp.memfdInodes.get(id);
  if (!inode) {
    throw new RestoreError(`memfd file id ${file.id} names inode ${id}, missing in memfd.img`, {
      fileId: file.id,
    });
  }
  return inode;
}

/** Makes the memfd of `inode` as the dump had it (content, mode, owner, seals). */
export function createMemfdInode(images: ImageSource, inode: MemfdInodeEntry): number {
  const { name, size } = inode;
  const huge = inode.hugetlb_flag ?? 0;
  const fd = memfdCreate(name, MFD.ALLOW_SEALING | (huge ? MFD_HUGETLB | huge : 0));
  try {
    ftruncate(fd, size);
    for (const run of readShmem(images, inode.shmid, Number(size))) {
      lseek(fd, BigInt(run.offset), SEEK.SET);
      writeAll(fd, run.bytes);
    }
    if (inode.mode !== undefined) fchmod(fd, inode.mode & 0o7777);
    fchown(fd, inode.uid, inode.gid);
    const seals = inode.seals;
    if (seals & ~F_SEAL_SEAL) addSeals(fd, seals & ~F_SEAL_SEAL);
    if (seals & F_SEAL_SEAL) addSeals(fd, F_SEAL_SEAL);
    return fd;
  } catch (e) {
    close(fd);
    throw e;
  }
}

function inodeFd(ctx: OpenContext, file: MemfdFile, inode: MemfdInodeEntry): number {
  const made = ctx.state(INODES);
  const id = inode.inode_id;
  let fd = made.get(id);
  if (fd === undefined) {
    fd = createMemfdInode(sourceOf(ctx.cp), inode);
    made.set(id, fd);
    const mine = fd;
    ctx.onCleanup(() => close(mine));
    ctx.log.info(`memfd ${inode.name}: made for file id ${file.id} (inode ${id})`);
  }
  return fd;
}

export const memfdOpener: FileOpener<typeof FD_TYPE.MEMFD> = {
  type: FD_TYPE.MEMFD,
  open(ctx: OpenContext, file: MemfdFile): OpenResult {
    const p = file.payload;
    const inode = inodeEntry(ctx, file);
    const inherited = inheritedFd(ctx, file);
    if (inherited) return inherited.fd;
    const base = inodeFd(ctx, file, inode);
    const fd = open(`/proc/self/fd/${base}`, imageOpenFlags(p.flags));
    try {
      lseek(fd, p.pos, SEEK.SET);
      restoreOwner(ctx, fd, p.fown);
    } catch (e) {
      close(fd);
      throw e;
    }
    return fd;
  },
};
