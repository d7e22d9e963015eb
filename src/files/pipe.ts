/**
 * Pipes (CRIU's pipes.c). The files of one pipe_id form a group; the first
 * member opened creates the pipe, refills its buffer and hands every other
 * member its end through `provide`. A member that is a separate description
 * of an end (opened through /proc: O_LARGEFILE, or a second member of the
 * same direction) is reopened through /proc/self/fd with its own flags.
 * An inherited pipe (`pipe:[ID]`) is reopened from the caller's descriptor
 * with the image's flags, without data or capacity.
 */
import { InheritFdError, type TakenFd } from "../inherit/mod.ts";
import { inherited, isInherited, keyOf } from "./inherited.ts";
import { FD_TYPE, type FileOf, type PipeData } from "../model/mod.ts";
import {
  close,
  closeQuietly,
  ERRNO,
  errnoText,
  getFlags,
  O,
  open,
  pipe2,
  setFlags,
  setPipeSize,
  SysError,
  write,
} from "../sys/mod.ts";
import { type FileOpener, type OpenContext, type OpenResult, stateSlot } from "./opener.ts";
import type { FownEntry } from "../image/mod.ts";
import { restoreOwner, setStatusFlags } from "./params.ts";
import { imageOpenFlags } from "./open_flags.ts";
import { hex, RestoreError, why } from "../restore_error.ts";

type PipeFile = FileOf<typeof FD_TYPE.PIPE>;

/** One file of a pipe group. */
export interface PipeMember {
  readonly file: PipeFile;
  /** pipe_entry.flags: access mode and status flags of this description. */
  readonly flags: number;
  readonly fown?: FownEntry;
  /** A separate description of its end: reopened through /proc/self/fd. */
  readonly reopen: boolean;
}

/** The files of one pipe_id that are not inherited. */
export interface PipeGroup {
  readonly pipeId: number;
  /** In files.img order. */
  readonly members: PipeMember[];
  /** The member whose master comes first (lowest pid, then lowest fd). */
  readonly creator: PipeFile;
  /** Set once the pipe exists: its members were handed their ends. */
  created: boolean;
}

/** A restore's pipes: groups are a whole-checkpoint decision, made once per restore. */
const PIPES = stateSlot(() => ({
  groups: undefined as Map<PipeFile, PipeGroup> | undefined,
  /** Pipe/FIFO data already written: CRIU refuses a second restore of one entry. */
  restored: new Set<PipeData>(),
}));

/** The pipe group of every non-inherited pipe file of `ctx`'s restore, by file. */
export function pipeGroups(ctx: OpenContext): Map<PipeFile, PipeGroup> {
  const state = ctx.state(PIPES);
  return state.groups ??= makeGroups(ctx);
}

function makeGroups(ctx: OpenContext): Map<PipeFile, PipeGroup> {
  const byId = new Map<number, PipeFile[]>();
  for (const file of ctx.cp.files.values()) {
    // Ends without fds are in flight in a socket queue: hidden files, still members.
    if (file.type !== FD_TYPE.PIPE) continue;
    const pipeId = pipeIdOf(file);
    if (isInherited(ctx, file)) continue; // inherited ends never join a group
    const list = byId.get(pipeId);
    if (list) list.push(file);
    else byId.set(pipeId, [file]);
  }
  const byFile = new Map<PipeFile, PipeGroup>();
  for (const [pipeId, files] of byId) {
    const group = makeGroup(pipeId, files);
    for (const m of group.members) byFile.set(m.file, group);
  }
  return byFile;
}

function makeGroup(pipeId: number, files: PipeFile[]): PipeGroup {
  let creator = files[0];
  for (const f of files) if (masterBefore(f, creator)) creator = f;
  // pipe() gives one read and one write description; an end reopened through
  // /proc always carries O_LARGEFILE on 64-bit, so it cannot be one of those.
  let haveRead = false;
  let haveWrite = false;
  const members = files.map((file): PipeMember => {
    const flags = file.payload.flags;
    let reopen = true;
    if ((flags & O.LARGEFILE) === 0) {
      if (isWriteEnd(flags) ? !haveWrite : !haveRead) reopen = false;
      if (isWriteEnd(flags)) haveWrite = true;
      else haveRead = true;
    }
    // Kept only when there is an owner or a signal to set: restoreOwner does
    // nothing with a zero one, and 100,000 of them need not stay decoded.
    const fown = file.payload.fown;
    const owned = fown !== undefined && (!!fown.signum || fown.pid !== 0);
    return { file, flags, fown: owned ? fown : undefined, reopen };
  });
  return { pipeId, members, creator, created: false };
}

/** True when a's master comes first; a hidden end (no fd) comes after every held one. */
function masterBefore(a: PipeFile, b: PipeFile): boolean {
  const ma = a.fds[0];
  const mb = b.fds[0];
  if (!ma || !mb) return ma !== undefined && mb === undefined;
  return ma.task.pid !== mb.task.pid ? ma.task.pid < mb.task.pid : ma.fd < mb.fd;
}

function pipeIdOf(file: PipeFile): number {
  return file.payload.pipe_id;
}

/** O_WRONLY members get the write end; read-only and O_RDWR ones the read end. */
function isWriteEnd(flags: number): boolean {
  return (flags & O.ACCMODE) === O.WRONLY;
}

/**
 * Refills a pipe or FIFO through `fd`: capacity first, then the bytes. The
 * write never blocks: bytes that do not fit are an error, as in CRIU.
 */
export function restorePipeData(
  ctx: OpenContext,
  fd: number,
  data: PipeData | undefined,
  id: number,
): void {
  if (!data) return;
  const restored = ctx.state(PIPES).restored;
  if (restored.has(data)) {
    throw new RestoreError(`Double data restore occurred on ${hex(id)}`);
  }
  restored.add(data);
  if (data.size) {
    try {
      setPipeSize(fd, data.size);
    } catch (e) {
      throw new RestoreError(`Can't restore pipe size: ${why(e)}`, {}, { cause: e });
    }
  }
  const bytes = data.bytes;
  if (bytes.byteLength === 0) return;
  const was = getFlags(fd);
  setFlags(fd, was | O.NONBLOCK);
  let done = 0;
  try {
    while (done < bytes.byteLength) done += write(fd, bytes.subarray(done));
  } catch (e) {
    if (!(e instanceof SysError && e.errno === ERRNO.EAGAIN)) throw e;
  } finally {
    setFlags(fd, was);
  }
  if (done !== bytes.byteLength) {
    throw new RestoreError(
      `${hex(id)}: Wanted to restore ${bytes.byteLength} bytes, but got ${done}`,
    );
  }
}

/** A new description of the pipe or FIFO behind `fd`, opened with `flags`. */
export function reopenPipe(fd: number, flags: number): number {
  const path = `/proc/self/fd/${fd}`;
  try {
    return open(path, imageOpenFlags(flags) | O.CLOEXEC);
  } catch (e) {
    throw new RestoreError(`Unable to reopen the pipe ${path}: ${why(e)}`, {}, { cause: e });
  }
}

function openInherited(ctx: OpenContext, file: PipeFile, taken: TakenFd): number {
  const flags = file.payload.flags;
  const key = keyOf(ctx, file);
  let fd: number;
  try {
    // The caller's pipe may have no reader or writer left: a helper O_RDWR
    // description keeps a one-way open from blocking (CRIU would block).
    const helper = (flags & O.ACCMODE) === O.RDWR ? -1 : reopenPipe(taken.fd, O.RDWR);
    try {
      fd = reopenPipe(taken.fd, flags);
    } finally {
      if (helper >= 0) close(helper);
    }
  } catch (e) {
    // The caller's fd is not a pipe that can be reopened (a folder, a socket...).
    const cause = e instanceof Error && e.cause instanceof SysError ? e.cause : e;
    const text = cause instanceof SysError ? `${cause.code} (${errnoText(cause.errno)})` : why(e);
    throw new InheritFdError(
      `Unable to reopen the pipe of --inherit-fd fd[${taken.inheritFd}]:${key}: ${text}`,
      { fd: taken.inheritFd, key },
      { cause: e },
    );
  } finally {
    close(taken.fd);
  }
  try {
    setStatusFlags(fd, flags);
    restoreOwner(ctx, fd, file.payload.fown);
  } catch (e) {
    close(fd);
    throw e;
  }
  return fd;
}

/** Creates the group's pipe and a descriptor for every member. */
function createPipe(ctx: OpenContext, group: PipeGroup): Map<PipeFile, number> {
  if (group.created) {
    throw new RestoreError(`pipe ${group.pipeId} was created twice`);
  }
  group.created = true;
  const [r, w] = pipe2(O.CLOEXEC);
  const used = new Set<number>();
  const out = new Map<PipeFile, number>();
  try {
    restorePipeData(ctx, w, ctx.cp.pipeData.get(group.pipeId), group.pipeId);
    // Both ends stay open here, so no reopen below can block.
    for (const m of group.members) {
      const end = isWriteEnd(m.flags) ? w : r;
      let fd: number;
      if (m.reopen || used.has(end)) fd = reopenPipe(end, m.flags);
      else used.add(fd = end);
      out.set(m.file, fd);
      setStatusFlags(fd, m.flags);
      restoreOwner(ctx, fd, m.fown);
    }
  } catch (e) {
    for (const fd of new Set([r, w, ...out.values()])) closeQuietly(fd);
    throw e;
  }
  for (const end of [r, w]) if (!used.has(end)) close(end);
  return out;
}

export const pipeOpener: FileOpener<typeof FD_TYPE.PIPE> = {
  type: FD_TYPE.PIPE,
  open(ctx: OpenContext, file: PipeFile): OpenResult {
    const taken = inherited(ctx, file);
    if (taken) return openInherited(ctx, file, taken);
    const group = pipeGroups(ctx).get(file);
    if (!group) throw new RestoreError(`pipe file ${file.id} has no group`, { fileId: file.id });
    const fds = createPipe(ctx, group);
    const own = fds.get(file) as number;
    fds.delete(file);
    let handing: number | undefined;
    try {
      for (const [other, fd] of fds) {
        handing = fd;
        fds.delete(other);
        ctx.provide(other, fd);
      }
    } catch (e) {
      // provide owns `handing` either way; the rest are still ours.
      for (const fd of [own, ...fds.values()]) if (fd !== handing) closeQuietly(fd);
      throw e;
    }
    return own;
  },
};
