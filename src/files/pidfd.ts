/**
 * pidfds (CRIU's pidfd.c). The image names the target by its pid in the dump
 * (`nspid`), or -1 when the process had already ended.
 *
 * A live target is always a task of the tree (criu refuses to dump any
 * other). Tasks get new pids here (decision 5), so the pidfd is opened by the
 * holding task itself, through its helper, once its target runs: with the pid
 * the target got in this restore, never with the dumped number, which may be
 * an unrelated process of this host. The helper knows the new pids of its
 * ancestors and of its own subtree, so the target must be the holder, an
 * ancestor or a descendant; any other is refused.
 *
 * A dead target: like criu, one short-lived process per dumped pidfs inode is
 * started, every pidfd of that inode opened on it, and the process killed and
 * reaped, so they all refer to one ended process, as in the dump.
 */
import { FD_TYPE, type FileDesc, type FileOf, type Task } from "../model/mod.ts";
import type { FownEntry } from "../image/mod.ts";
import { close, closeAll, kill, O, open, pidfdOpen, spawn, waitpid } from "../sys/mod.ts";
import { type FileOpener, IN_TASK, type OpenContext, type OpenResult } from "./opener.ts";
import { withFileParams } from "./params.ts";
import { hex, RestoreError } from "../restore_error.ts";

const SIGKILL = 9;

/** What a pidfd's payload says. */
export interface PidfdInfo {
  /** The target's pid in the dump; -1: it had ended. */
  nspid: number;
  /** Its pidfs inode at dump time: pidfds of one ended process share it. */
  ino: number;
  /** Status flags (O_NONBLOCK is pidfd_open's PIDFD_NONBLOCK). */
  flags: number;
  fown?: FownEntry;
}

export function pidfdInfo(file: FileOf<typeof FD_TYPE.PIDFD>): PidfdInfo {
  const p = file.payload;
  return { nspid: p.nspid, ino: p.ino, flags: p.flags, fown: p.fown };
}

export const pidfdOpener: FileOpener<typeof FD_TYPE.PIDFD> = {
  type: FD_TYPE.PIDFD,
  open(ctx: OpenContext, file: FileOf<typeof FD_TYPE.PIDFD>): OpenResult {
    const info = pidfdInfo(file);
    if (info.nspid === -1) return openDead(ctx, file, info);
    const target = liveTarget(ctx, file, info.nspid);
    if (!ctx.pidfdInTask) {
      throw new RestoreError(`pidfd ${what(file)} can only be opened by a started task`);
    }
    if (info.fown?.pid || info.fown?.signum) {
      ctx.log.warn(`pidfd ${what(file)}: its owner and signal are not restored`);
    }
    ctx.pidfdInTask(file, target.pid, info.flags);
    return IN_TASK;
  },
};

function what(file: FileDesc): string {
  return `id ${hex(file.id)} (files.img)`;
}

/** The task a live pidfd refers to, checked to be one every holder can reach. */
function liveTarget(ctx: OpenContext, file: FileDesc, nspid: number): Task {
  const target = ctx.cp.tasks.find((t) => t.pid === nspid);
  if (!target) {
    throw new RestoreError(
      `pidfd ${what(file)} refers to pid ${nspid}, which is not a task of the images ` +
        `(criu dumps pidfds of its tree only)`,
    );
  }
  if (target.state === 2) {
    throw new RestoreError(
      `pidfd ${what(file)} refers to task ${nspid}, a zombie, which fdrestore does not recreate`,
    );
  }
  for (const e of file.fds) {
    if (related(e.task, target)) continue;
    throw new RestoreError(
      `fd ${e.fd} of task ${e.task.pid}: pidfd ${what(file)} refers to task ${nspid}, ` +
        `neither this task, an ancestor nor a descendant of it: not supported yet`,
      { pid: e.task.pid, fd: e.fd, fileId: file.id },
    );
  }
  return target;
}

/** True when `target` is `holder`, one of its ancestors or one of its descendants. */
export function related(holder: Task, target: Task): boolean {
  for (let t: Task | undefined = holder; t; t = t.parent) if (t === target) return true;
  for (let t: Task | undefined = target; t; t = t.parent) if (t === holder) return true;
  return false;
}

/**
 * Opens `file` and every other not yet open pidfd of the same ended process
 * (same inode) on one process that is then killed and reaped; the others are
 * handed to the scheduler.
 */
function openDead(ctx: OpenContext, file: FileDesc, info: PidfdInfo): number {
  const others: [FileDesc, PidfdInfo][] = [];
  for (const f of ctx.cp.files.values()) {
    if (f === file || f.type !== FD_TYPE.PIDFD || ctx.stagedFd(f) !== undefined) continue;
    const i = pidfdInfo(f);
    if (i.nspid === -1 && i.ino === info.ino) others.push([f, i]);
  }
  const fds = pidfdsOfEndedProcess([info.flags, ...others.map(([, i]) => i.flags)]);
  try {
    for (let k = 0; k < others.length; k++) {
      const [f, i] = others[k];
      const fd = fds[k + 1];
      fds[k + 1] = -1;
      ctx.provide(f, withFileParams(ctx, fd, i.flags, i.fown));
    }
  } catch (e) {
    closeAll(fds.filter((fd) => fd >= 0));
    throw e;
  }
  return withFileParams(ctx, fds[0], info.flags, info.fown);
}

/**
 * One pidfd per entry of `flags`, all of one process that has ended and been
 * reaped. The process is fdrestore's own executable, killed before it runs
 * any code of its own (posix_spawn returns once it exec'd), on /dev/null.
 */
export function pidfdsOfEndedProcess(flags: readonly number[]): number[] {
  const devNull = open("/dev/null", O.RDWR | O.CLOEXEC);
  let pid: number;
  try {
    pid = spawn({
      path: Deno.execPath(),
      argv: ["fdrestore-ended-process"],
      env: [],
      fds: new Map([[0, devNull], [1, devNull], [2, devNull]]),
    });
  } finally {
    close(devNull);
  }
  const fds: number[] = [];
  try {
    for (const f of flags) fds.push(pidfdOpen(pid, f));
  } catch (e) {
    closeAll(fds);
    throw e;
  } finally {
    kill(pid, SIGKILL);
    waitpid(pid);
  }
  return fds;
}
