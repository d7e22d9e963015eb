/**
 * The internal helper (`fdrestore __helper FD`): a task that has children.
 * It receives its subtree's plan and descriptors from its parent over the
 * transport at FD, starts its children (leaves with posix_spawn, tasks with
 * children as nested helpers), reports every new pid, then places its own
 * fds and execs its program — so the tree keeps its shape. It holds no
 * signal listeners or workers (see src/sys/exec.ts).
 */
import {
  AF,
  close,
  errnoText,
  execWithFds,
  getpgid,
  ignoreSignal,
  kill,
  O,
  open,
  pidfdOpen,
  setControllingTerminal,
  setForegroundGroup,
  SOCK,
  socketpair,
  spawn,
  SysError,
  umask,
  waitpid,
} from "../sys/mod.ts";
import { programError, programExit, RestoreError } from "../restore_error.ts";
import { EXIT, FdrestoreError } from "../errors.ts";
import { frameMessage, recvMessage, sendMessage } from "./transport.ts";
import { cwdProblem, type EarlyPlan, type TaskPlan } from "./plan.ts";
import { HELPER_COMMAND, selfCommand } from "./self_exec.ts";

const SIGKILL = 9;

/** Runs the helper; only returns (with an exit code) when it failed. */
export function runHelper(transport: number): number {
  const started: number[] = [];
  const early: EarlyHelpers = new Map();
  try {
    let got = recvMessage(transport);
    if (!got) return 1;
    const known = new Map<number, number>();
    if (got.msg.early) {
      // Started before the files were open: start the helpers below now, then wait for the plan.
      const ahead = got.msg.early as EarlyPlan;
      addKnown(known, got.msg.known);
      known.set(ahead.pid, Deno.pid);
      startEarly(ahead.children, known, transport, started, early);
      got = recvMessage(transport);
      if (!got) return 1;
    }
    const batch = got.fds;
    const plan = got.msg.plan as TaskPlan;
    addKnown(known, got.msg.known);
    known.set(plan.pid, Deno.pid);
    // The terminal first: children started after it share it as theirs.
    const ctty = plan.tty?.ctty === undefined ? undefined : batch[plan.tty.ctty];
    if (ctty !== undefined) setControllingTerminal(ctty, true);
    // A child inherits the caller's ignores from us: set them again (the runtime may have replaced them).
    for (const sig of plan.keepIgnored ?? []) ignoreSignal(sig);
    // Every child first (nested helpers start in parallel), then their reports.
    const pending = plan.children.map((child) =>
      startChild(child, batch, known, transport, started, early)
    );
    if (early.size > 0) throw new RestoreError(`tasks ${[...early.keys()]} got no plan`);
    for (const finish of pending) finish?.();
    const fds = tableOf(plan, batch);
    if (plan.tty) applyTty(plan, ctty, known, fds);
    if (plan.pidfds) openPidfds(plan, known, fds);
    execWithFds({
      path: plan.path,
      argv: plan.argv,
      // execve keeps the pid: this is the program's own, as sd_listen_fds(3) checks.
      env: plan.listenPid ? [...plan.env, `LISTEN_PID=${Deno.pid}`] : plan.env,
      fds,
      cwd: plan.cwd,
      rootDir: plan.rootDir === undefined ? undefined : batch[plan.rootDir],
      cwdDir: plan.cwdDir === undefined ? undefined : batch[plan.cwdDir],
      umask: plan.umask,
      keepIgnored: plan.keepIgnored,
      reportFd: transport,
      locks: plan.locks?.map((l) => ({ ...l, start: BigInt(l.start), len: BigInt(l.len) })),
      received: batch,
      encodeReport: (text, execErrno) =>
        frameMessage({
          error: `task ${plan.pid}: ${text}`,
          exitCode: execErrno === undefined ? undefined : programExit(execErrno),
        }),
    });
  } catch (e) {
    for (const pid of started) {
      try {
        kill(pid, SIGKILL);
        waitpid(pid);
      } catch {
        // gone already
      }
    }
    try {
      // A nested task's program error keeps its exit code (126, 127) on the way up.
      const exitCode = e instanceof FdrestoreError ? e.exitCode : undefined;
      sendMessage(transport, { error: e instanceof Error ? e.message : String(e), exitCode });
    } catch {
      // the parent is gone: nothing to tell
    }
    return 1;
  }
}

/** The pids (dump → now) a parent sent, into `known`. */
function addKnown(known: Map<number, number>, sent: unknown): void {
  for (const [k, v] of Object.entries((sent ?? {}) as Record<string, number>)) {
    known.set(Number(k), v);
  }
}

/** Foreground group (once its members run), then the files opened through the terminal. */
function applyTty(
  plan: TaskPlan,
  ctty: number | undefined,
  known: ReadonlyMap<number, number>,
  fds: Map<number, number>,
): void {
  const pgrp = plan.tty?.pgrp ? known.get(plan.tty.pgrp) : undefined;
  if (ctty !== undefined && pgrp !== undefined && pgrp !== getpgid(0)) {
    setForegroundGroup(ctty, pgrp);
  }
  for (const [targets, path, flags] of plan.tty?.opens ?? []) {
    let fd: number;
    try {
      fd = open(path, flags | O.CLOEXEC);
    } catch (e) {
      const why = e instanceof SysError ? errnoText(e.errno) : String(e);
      throw new RestoreError(`Can't open file ${path.replace(/^\//, "")} on restore: ${why}`, {
        pid: plan.pid,
        fd: targets[0],
      });
    }
    for (const t of targets) fds.set(t, fd);
  }
}

/**
 * The task's pidfds, opened on the pids its targets got in this restore:
 * ancestors were known when it started, its subtree has reported by now.
 */
function openPidfds(
  plan: TaskPlan,
  known: ReadonlyMap<number, number>,
  fds: Map<number, number>,
): void {
  for (const [targets, old, flags] of plan.pidfds ?? []) {
    const pid = known.get(old);
    const name = `fd ${targets[0]} of task ${plan.pid}`;
    if (pid === undefined) {
      throw new RestoreError(`${name}: pidfd of task ${old}, which this restore did not start`, {
        pid: plan.pid,
        fd: targets[0],
      });
    }
    let fd: number;
    try {
      fd = pidfdOpen(pid, flags);
    } catch (e) {
      const why = e instanceof SysError ? errnoText(e.errno) : String(e);
      throw new RestoreError(`${name}: Could not open pidfd for ${old} (now ${pid}): ${why}`, {
        pid: plan.pid,
        fd: targets[0],
      });
    }
    for (const t of targets) fds.set(t, fd);
  }
}

/** A plan's fd table: target → descriptor of the batch. */
function tableOf(plan: TaskPlan, batch: readonly number[]): Map<number, number> {
  const table = new Map<number, number>();
  for (let k = 0; k < plan.fds.length; k += 2) table.set(plan.fds[k], batch[plan.fds[k + 1]]);
  return table;
}

/** Session and group of a task started by this process. */
export function spawnAttrs(
  plan: Pick<TaskPlan, "pid" | "setsid" | "pgid" | "joinCallerGroup">,
  known: ReadonlyMap<number, number>,
) {
  if (plan.setsid) return { setsid: true };
  if (plan.joinCallerGroup) return {};
  if (plan.pgid === plan.pid) return { setpgroup: 0 };
  const leader = known.get(plan.pgid);
  return leader === undefined ? {} : { setpgroup: leader };
}

/**
 * Helpers started from an {@link EarlyPlan}, by pid in the dump: the socket
 * their plan goes to once the files are open.
 */
export type EarlyHelpers = Map<number, number>;

/**
 * Starts a helper for each of `plans` (tasks with children) before their fds
 * are known, and sends each its early plan, so that the runtime starts while
 * the files are still being opened; its children that have children start
 * the same way from there. A task whose process group leader has not started
 * yet waits for its plan, to start in the usual order.
 */
export function startEarly(
  plans: readonly EarlyPlan[],
  known: Map<number, number>,
  report: number | undefined,
  started: number[],
  early: EarlyHelpers,
): void {
  const tell = teller(known, report);
  for (const p of plans) {
    if (!p.setsid && p.pgid !== p.pid && !known.has(p.pgid)) continue;
    const sock = spawnHelper(p, known, tell, started);
    early.set(p.pid, sock);
    sendMessage(sock, { early: p, known: Object.fromEntries(known) });
  }
}

/** Records a started task's pid and reports it to the parent helper, if any. */
function teller(
  known: Map<number, number>,
  report: number | undefined,
): (old: number, pid: number) => void {
  return (old, pid) => {
    known.set(old, pid);
    if (report !== undefined) sendMessage(report, { started: old, pid });
  };
}

/**
 * Starts one child of this process: directly when it is a leaf, through a
 * nested helper otherwise (one already started from `early`, or a new one),
 * or when its environment needs its own pid (LISTEN_PID). Reports
 * `{started, pid}` for it and its subtree to `report`, and records the pids
 * in `known` and `started`.
 */
export function startChild(
  plan: TaskPlan,
  batch: readonly number[],
  known: Map<number, number>,
  report: number | undefined,
  started: number[],
  early?: EarlyHelpers,
): (() => void) | undefined {
  const tell = teller(known, report);
  const waiting = early?.get(plan.pid);
  if (waiting !== undefined) {
    early!.delete(plan.pid);
    return sendPlan(waiting, plan, batch, known, tell, started);
  }
  // posix_spawn cannot chroot nor fchdir: a task entering a root starts through a helper.
  if (
    plan.children.length === 0 && !plan.tty && !plan.pidfds && !plan.listenPid && !plan.locks &&
    plan.rootDir === undefined && plan.cwdDir === undefined
  ) {
    // posix_spawn has no umask action: the child inherits ours at the call.
    const saved = plan.umask === undefined ? undefined : umask(plan.umask);
    let pid: number;
    try {
      pid = spawn({
        path: plan.path,
        argv: plan.argv,
        env: plan.env,
        fds: tableOf(plan, batch),
        cwd: plan.cwd,
        keepIgnored: plan.keepIgnored,
        ...spawnAttrs(plan, known),
      });
    } catch (e) {
      const why = e instanceof SysError ? errnoText(e.errno) : String(e);
      const cwd = plan.cwd === undefined ? undefined : cwdProblem(plan.pid, plan.cwd);
      if (cwd) throw new RestoreError(cwd, { pid: plan.pid });
      const text = `task ${plan.pid}: cannot start ${plan.path}: ${why}`;
      // posix_spawn reports the child's failed execve (its file actions cannot fail here).
      if (e instanceof SysError && /^posix_spawnp?$/.test(e.call)) {
        throw programError(text, plan.pid, e.errno);
      }
      throw new RestoreError(text, { pid: plan.pid });
    } finally {
      if (saved !== undefined) umask(saved);
    }
    started.push(pid);
    tell(plan.pid, pid);
    return undefined;
  }
  const sock = spawnHelper(plan, known, tell, started);
  return sendPlan(sock, plan, batch, known, tell, started);
}

/** Spawns a helper for task `p` in its session and group; returns our end of its channel. */
function spawnHelper(
  p: EarlyPlan | TaskPlan,
  known: ReadonlyMap<number, number>,
  tell: (old: number, pid: number) => void,
  started: number[],
): number {
  const [mine, theirs] = socketpair(AF.UNIX, SOCK.STREAM | SOCK.CLOEXEC, 0);
  try {
    const self = selfCommand([HELPER_COMMAND, "3"]);
    const pid = spawn({
      path: self.path,
      argv: self.argv,
      env: Deno.env.toObject(),
      fds: new Map([[0, 0], [1, 1], [2, 2], [3, theirs]]),
      keepIgnored: p.keepIgnored,
      ...spawnAttrs(p, known),
    });
    started.push(pid);
    tell(p.pid, pid);
    return mine;
  } catch (e) {
    close(mine);
    throw e;
  } finally {
    close(theirs);
  }
}

/**
 * Sends a helper its subtree's plan and fds. Returns the function that waits
 * for it: it relays the helper's reports until the helper's exec closes the
 * channel (or throws the error the helper sent). The channel is closed by then.
 */
function sendPlan(
  sock: number,
  plan: TaskPlan,
  batch: readonly number[],
  known: Map<number, number>,
  tell: (old: number, pid: number) => void,
  started: number[],
): () => void {
  const finish = () => {
    try {
      for (;;) {
        const got = recvMessage(sock);
        if (!got) break; // closed by its exec: the helper became its task
        if (typeof got.msg.error === "string") {
          const code = got.msg.exitCode;
          const program = code === EXIT.CANNOT_RUN || code === EXIT.NOT_FOUND;
          throw new RestoreError(
            got.msg.error,
            { pid: plan.pid },
            undefined,
            program ? code : undefined,
          );
        }
        if (typeof got.msg.started === "number") {
          const pid = Number(got.msg.pid);
          started.push(pid);
          tell(got.msg.started, pid);
        }
      }
    } finally {
      close(sock);
    }
  };
  // The helper gets only its subtree's fds, re-indexed.
  const sub: number[] = [];
  const reindex = new Map<number, number>();
  const at = (i: number): number => {
    let j = reindex.get(i);
    if (j === undefined) {
      j = sub.push(batch[i]) - 1;
      reindex.set(i, j);
    }
    return j;
  };
  const remap = (p: TaskPlan): TaskPlan => ({
    ...p,
    fds: p.fds.map((v, k) => k % 2 === 0 ? v : at(v)),
    ...(p.rootDir === undefined ? {} : { rootDir: at(p.rootDir) }),
    ...(p.cwdDir === undefined ? {} : { cwdDir: at(p.cwdDir) }),
    ...(p.tty?.ctty === undefined ? {} : { tty: { ...p.tty, ctty: at(p.tty.ctty) } }),
    children: p.children.map(remap),
  });
  try {
    sendMessage(sock, { plan: remap(plan), known: Object.fromEntries(known) }, sub);
  } catch (e) {
    close(sock); // the caller kills the helper, which may still wait for its plan
    throw e;
  }
  return finish;
}
