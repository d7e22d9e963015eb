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
import { memfdKey } from "../inherit/mod.ts";
import {
  type Checkpoint,
  FD_TYPE,
  type FileDesc,
  type ImageSource,
  readShmem,
  sourceOf,
} from "../model/mod.ts";
import type { FileOpener, OpenContext, OpenResult } from "./opener.ts";
import { type Fown, restoreOwner } from "./params.ts";
import { RestoreError } from "./restore_error.ts";
import { imageOpenFlags } from "./open_flags.ts";

const MFD_HUGETLB = 4;
/** Seals only memfd_create(MFD_ALLOW_SEALING) files accept; F_SEAL_SEAL goes last. */
const F_SEAL_SEAL = 1;

/** The inode fd of each memfd inode already made, per checkpoint being restored. */
const INODES = new WeakMap<Checkpoint, Map<bigint, number>>();

function inodeEntry(ctx: OpenContext, file: FileDesc): Record<string, unknown> {
  const id = BigInt((file.payload.inode_id as bigint | undefined) ?? 0n);
  const inode = ctx.cp.memfdInodes.get(id);
  if (!inode) {
    throw new RestoreError(`memfd file id ${file.id} names inode ${id}, missing in memfd.img`, {
      fileId: file.id,
    });
  }
  return inode;
}

/** Makes the memfd of `inode` as the dump had it (content, mode, owner, seals). */
export function createMemfdInode(images: ImageSource, inode: Record<string, unknown>): number {
  const name = String(inode.name ?? "");
  const size = BigInt((inode.size as bigint | undefined) ?? 0n);
  const huge = Number(inode.hugetlb_flag ?? 0);
  const fd = memfdCreate(name, MFD.ALLOW_SEALING | (huge ? MFD_HUGETLB | huge : 0));
  try {
    ftruncate(fd, size);
    for (const run of readShmem(images, Number(inode.shmid), Number(size))) {
      lseek(fd, BigInt(run.offset), SEEK.SET);
      writeAll(fd, run.bytes);
    }
    if (inode.mode !== undefined) fchmod(fd, Number(inode.mode) & 0o7777);
    fchown(fd, Number(inode.uid ?? 0), Number(inode.gid ?? 0));
    const seals = Number(inode.seals ?? 0);
    if (seals & ~F_SEAL_SEAL) addSeals(fd, seals & ~F_SEAL_SEAL);
    if (seals & F_SEAL_SEAL) addSeals(fd, F_SEAL_SEAL);
    return fd;
  } catch (e) {
    close(fd);
    throw e;
  }
}

function inodeFd(ctx: OpenContext, file: FileDesc, inode: Record<string, unknown>): number {
  let made = INODES.get(ctx.cp);
  if (!made) {
    made = new Map();
    INODES.set(ctx.cp, made);
  }
  const id = BigInt(inode.inode_id as bigint);
  let fd = made.get(id);
  if (fd === undefined) {
    fd = createMemfdInode(sourceOf(ctx.cp), inode);
    made.set(id, fd);
    const mine = fd;
    const cache = made;
    ctx.onCleanup(() => {
      cache.delete(id);
      close(mine);
    });
    ctx.log.info(`memfd ${inode.name}: made for file id ${file.id} (inode ${id})`);
  }
  return fd;
}

export const memfdOpener: FileOpener = {
  type: FD_TYPE.MEMFD,
  open(ctx: OpenContext, file: FileDesc): OpenResult {
    const p = file.payload;
    const inode = inodeEntry(ctx, file);
    const inherited = ctx.inherit.take(memfdKey(String(inode.name)));
    if (inherited) return inherited.fd;
    const base = inodeFd(ctx, file, inode);
    const fd = open(`/proc/self/fd/${base}`, imageOpenFlags(Number(p.flags ?? 0)));
    try {
      lseek(fd, BigInt((p.pos as bigint | undefined) ?? 0n), SEEK.SET);
      restoreOwner(ctx, fd, p.fown as Fown | undefined);
    } catch (e) {
      close(fd);
      throw e;
    }
    return fd;
  },
};
