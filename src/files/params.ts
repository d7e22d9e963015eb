/**
 * The parameters every open file description carries besides what `open`
 * gave it: status flags (CRIU's set_fd_flags) and the owner that receives
 * SIGIO (CRIU's restore_fown).
 */
import { close, dupAbove, getFlags, setFlags, setOwnEx, setSig } from "../sys/mod.ts";
import type { FownEntry } from "../image/mod.ts";
import type { OpenContext } from "./opener.ts";
import { RestoreError } from "../restore_error.ts";

/** The only status flags F_SETFL may change: O_APPEND|O_ASYNC|O_NONBLOCK|O_DIRECT|O_NOATIME. */
export const SETFL_MASK = 0o2000 | 0o20000 | 0o4000 | 0o40000 | 0o1000000;

/** Sets the status flags of `fd` within {@link SETFL_MASK} from `flags`, and verifies them. */
export function setStatusFlags(fd: number, flags: number): void {
  const now = getFlags(fd);
  const want = (now & ~SETFL_MASK) | (flags & SETFL_MASK);
  if (want === now) return;
  setFlags(fd, want);
  const got = getFlags(fd);
  if ((got & SETFL_MASK) !== (want & SETFL_MASK)) {
    const dropped = (want & ~got) & SETFL_MASK;
    throw new RestoreError(
      `fcntl call on fd ${fd} (flags 0${flags.toString(8)}) succeeded, ` +
        `but some flags were dropped: 0${dropped.toString(8)}`,
    );
  }
}

/** F_OWNER_TID / F_OWNER_PID / F_OWNER_PGRP. */
const OWNER_TYPE = [0, 1, 2];

/**
 * Restores the SIGIO owner of the description behind `fd`. The signal is set
 * at once; the owner pid belongs to the dumped world and is set after the
 * tasks started: an owner that was a dumped task (or its group) maps to that
 * task's new pid, any other owner is dropped with a warning (decision 5).
 */
export function restoreOwner(ctx: OpenContext, fd: number, fown: FownEntry | undefined): void {
  if (!fown) return;
  if (fown.signum) setSig(fd, fown.signum);
  const pid = fown.pid;
  if (!pid) return;
  const type = OWNER_TYPE[fown.pid_type] ?? 1;
  // The opener's fd number moves when the scheduler stages it: keep our own
  // duplicate of the description (the owner belongs to it) until the pids are known.
  const held = dupAbove(fd, 3);
  let closed = false;
  const release = () => {
    if (!closed) close(held);
    closed = true;
  };
  ctx.onCleanup(release);
  ctx.afterStart((pids) => {
    const mapped = pids.get(pid);
    try {
      if (mapped === undefined) {
        ctx.log.warn(`Owner ${pid} of fd ${fd} is not a restored task; dropping it`);
        return;
      }
      setOwnEx(held, { type, pid: mapped });
    } finally {
      release();
    }
  });
}

/**
 * File params (CRIU's rst_file_params): status flags, then owner. Closes `fd`
 * when either fails, so openers can `return withFileParams(...)`.
 */
export function withFileParams(
  ctx: OpenContext,
  fd: number,
  flags: number,
  fown: FownEntry | undefined,
): number {
  try {
    setStatusFlags(fd, flags);
    restoreOwner(ctx, fd, fown);
  } catch (e) {
    try {
      close(fd);
    } catch {
      // the original error matters more
    }
    throw e;
  }
  return fd;
}
