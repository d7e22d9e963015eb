/**
 * `fdrestore restore` and `fdrestore check`: read the images, open every
 * file, and (restore) start the task's program on its fd table, then wait
 * for it or detach. On any failure nothing is left behind: started tasks are
 * killed and reaped, staged fds closed, temporary files removed.
 */
import { log } from "../log.ts";
import { noSuchTask } from "../errors.ts";
import type { CheckOptions, RestoreOptions } from "./options.ts";
import { writeStdout } from "./output.ts";
import { checkInheritKeys } from "../inherit/mod.ts";
import {
  buildCheckpoint,
  type Checkpoint,
  FD_TYPE,
  type ImageSource,
  type Task,
  TASK_STATE,
} from "../model/mod.ts";
import { type OpenedImages, openImages } from "../archive/open.ts";
import { inheritKeyOf } from "../fdtypes/mod.ts";
import { RestoreError } from "../restore_error.ts";
import { openFiles, type RestoreSession } from "../restore/open_files.ts";
import { joinCallerGroup, liveChildren, planEarly, planTree } from "../restore/plan.ts";
import { type EarlyHelpers, startChild, startEarly } from "../restore/helper.ts";
import { takeFileLocks } from "../restore/file_locks.ts";
import { makeGhostCwds } from "../restore/ghost_cwd.ts";
import { waitForeground } from "../restore/wait.ts";
import { testPause, watchInterrupts } from "../restore/interrupt.ts";
import { IgnoredSignals } from "../restore/ignored_signals.ts";
import { checkRoot, requireProc, RestoreOutputs } from "./preflight.ts";
import { ensureFdLimit, growFdTableEarly } from "../restore/fd_limit.ts";
import { applyHandoff, planHandoff } from "../handoff/mod.ts";
import { FirstMoments } from "../restore/early_exit.ts";
import { signalStatus } from "../restore/status_fd.ts";
import { closeQuietly, kill, prctl, waitpid } from "../sys/mod.ts";
import { checkPrograms, doubtedTasks, doubtText, execHint } from "../program/mod.ts";

const SIGKILL = 9;
const SIGSTOP = 19;

/**
 * `inheritedIgnores`: the signals ignored when the process started
 * (src/sys/signals.ts), read before its first await.
 */
export async function runRestore(
  opts: RestoreOptions | CheckOptions,
  inheritedIgnores: readonly number[] = [],
): Promise<number> {
  const root = opts.root ?? "/";
  let staged: RestoreSession | undefined;
  let outputs: RestoreOutputs | undefined;
  let images: OpenedImages | undefined;
  const started: number[] = [];
  const pids = new Map<number, number>();
  const early: EarlyHelpers = new Map();
  const ownChildren = new Set(childrenOfThisProcess());
  const ignored = new IgnoredSignals(inheritedIgnores);
  const interrupts = watchInterrupts(ignored);
  try {
    // Before anything is read or started: what would fail later for want of them.
    requireProc();
    if (opts.root !== undefined) checkRoot(opts.root);
    outputs = new RestoreOutputs(opts);
    opts.inherit.log(log);
    const growth = growFdTableEarly(); // its wait overlaps the reading of the images
    images = await openImages(opts.imagesDir);
    const source = images.source;
    const cp = buildCheckpoint(source, {
      // The helpers' runtimes start while the rest is read and the files open.
      afterTasks: (all) => {
        if (!startsEarly(all, source, opts)) return;
        setChildSubreaper();
        const top = opts.pid === undefined ? all[0] : all.find((t) => t.pid === opts.pid)!;
        log.debug(`task ${top.pid}: its tree's helpers start before the files are read`);
        ignored.reassert(); // the event loop turned: a helper inherits what is ignored now
        startEarly([planEarly(top, ignored.inherited)], pids, undefined, started, early);
      },
    });
    log.info(`images read: ${cp.tasks.length} task(s), ${cp.files.size} files`);
    await interrupts.checkpoint();
    const tasks = selectTasks(cp, opts);
    const handoff = planHandoff(tasks[0], { ...opts, notifySocket: callerNotifySocket() });
    checkKeys(cp, tasks, opts);
    const live = tasks.filter((t) => t.state !== TASK_STATE.DEAD);
    if (opts.command === "restore") checkPrograms(live, opts, root);
    else warnDoubtedPrograms(live, root);
    const owners = live.filter((t) => t.tableOwner === t);
    await ensureFdLimit(owners, growth);
    ignored.reassert(); // the event loop turned: Deno may have installed its handlers
    staged = openFiles(cp, owners, {
      root,
      inherit: opts.inherit,
      log,
      shellJob: opts.shellJob,
      tcp: opts.tcp,
      dryRun: opts.command === "check",
      untrusted: opts.untrusted,
    });
    log.info(`every file of ${owners.length} fd table(s) is open`);
    const posixLocks = fileLocks(cp, live, staged, opts);
    await interrupts.checkpoint();
    if (opts.command === "check") {
      const fds = owners.reduce((n, t) => n + t.fds.length, 0);
      writeStdout(`check: ${live.length} task(s), ${fds} fds: every file opens\n`);
      return 0;
    }
    makeGhostCwds(cp, live, root, staged, log);
    // Orphans of a helper that fails come back to us, to be reaped.
    setChildSubreaper();
    const batch: number[] = [];
    const startOpts = {
      program: opts.program,
      exec: opts.exec,
      cloexec: opts.cloexec,
      root,
      log,
      untrusted: opts.untrusted,
      keepIgnored: ignored.inherited,
      noChildren: opts.noChildren,
      posixLocks,
    };
    const plan = planTree(tasks[0], staged, startOpts, batch);
    applyHandoff(plan, handoff);
    // A shell job that did not lead its session joins ours: the terminal's keys reach it.
    const shellGroup = opts.shellJob && !plan.setsid;
    if (shellGroup) joinCallerGroup(plan, plan.pgid);
    log.info(`starting ${live.length} task(s)`);
    startChild(plan, batch, pids, undefined, started, early)?.();
    const rootPid = pids.get(plan.pid)!;
    staged.closeDescriptors(); // the tasks hold them now
    await testPause(interrupts);
    await interrupts.checkpoint();
    for (const [old, now] of pids) log.info(`task ${old} restored as pid ${now}`);
    const first = new FirstMoments(cp, plan, log);
    const watch = !opts.leaveStopped;
    if (opts.detached && watch) await first.detached(pids, rootPid);
    await interrupts.checkpoint();
    ignored.reassert();
    // Before the files are handed over: a failure here still rolls everything back.
    outputs.commit(rootPid, pids);
    staged.started(pids);
    if (opts.leaveStopped) { for (const pid of pids.values()) kill(pid, SIGSTOP); }
    staged.release();
    staged = undefined;
    outputs.close();
    started.splice(0); // from here the tasks are the user's
    log.debug("restore finished: the tasks are the user's now");
    interrupts.stop();
    const settled = (ok: boolean) => {
      if (opts.statusFd !== undefined) signalStatus(opts.statusFd, ok, log);
    };
    if (opts.detached || !watch) settled(true);
    if (opts.detached) return 0;
    const wait = () => waitForeground(rootPid, ignored, { sameGroup: shellGroup });
    return watch ? await first.foreground(pids, plan.pid, wait, settled) : await wait();
  } catch (e) {
    // Children first: a helper's children are reaped by us (subreaper) once it is gone.
    for (const pid of started.reverse()) killAndReap(pid);
    if (started.length > 0) killOrphans(ownChildren);
    outputs?.discard();
    throw e;
  } finally {
    for (const sock of early.values()) closeQuietly(sock);
    interrupts.stop();
    staged?.release();
    images?.close();
    opts.inherit.finish();
  }
}

/**
 * Whether the helpers of a tree start before the files are read: a restore of
 * a top task with children, and no terminal in the images (a helper takes its
 * session's terminal before it starts children, and needs its fds for that).
 */
function startsEarly(
  all: readonly Task[],
  source: ImageSource,
  opts: RestoreOptions | CheckOptions,
): boolean {
  if (opts.command !== "restore" || opts.noChildren || opts.shellJob) return false;
  const top = opts.pid === undefined ? all[0] : all.find((t) => t.pid === opts.pid);
  if (!top || liveChildren(top).length === 0) return false;
  return source.entries("tty-info").length === 0;
}

/** The whole tree, or the subtree of `--pid`; with `noChildren`, only its top. */
function selectTasks(cp: Checkpoint, opts: RestoreOptions | CheckOptions): Task[] {
  const { pid, noChildren } = opts;
  const top = pid === undefined ? cp.tasks[0] : cp.tasks.find((t) => t.pid === pid);
  if (!top) throw noSuchTask(pid!, opts.imagesDir);
  if (noChildren) {
    if (liveChildren(top).length > 0) return [top];
    throw new RestoreError(`task ${top.pid} has no children to leave out (--no-children)`, {
      pid: top.pid,
    });
  }
  if (pid === undefined) return cp.tasks;
  const out: Task[] = [];
  const walk = (t: Task) => {
    out.push(t);
    t.children.forEach(walk);
  };
  walk(top);
  return out;
}

/** fdrestore's own NOTIFY_SOCKET (a supervisor's), passed to the started task. */
function callerNotifySocket(): string | undefined {
  try {
    return Deno.env.get("NOTIFY_SOCKET") || undefined;
  } catch {
    return undefined; // no --allow-env
  }
}

/** Warns about (or, strict, refuses) inherit keys that match no file. */
function checkKeys(cp: Checkpoint, tasks: Task[], opts: RestoreOptions | CheckOptions): void {
  if (opts.inherit.size === 0) return;
  const all: string[] = [];
  const regular: string[] = [];
  for (const t of tasks) {
    for (const e of t.fds) {
      const key = inheritKeyOf(cp, e.file);
      if (key === undefined) continue;
      all.push(key);
      if (e.file.type === FD_TYPE.REG || e.file.type === FD_TYPE.FIFO) regular.push(key);
    }
  }
  checkInheritKeys(opts.inherit, { all, regular }, { strict: opts.inheritFdStrict, logger: log });
}

/** `check` starts nothing, but says what a restore would refuse to start. */
function warnDoubtedPrograms(live: Task[], root: string): void {
  for (const [t, v] of doubtedTasks(live, {}, root)) {
    log.warn(`task ${t.pid} (${t.comm}): ${doubtText(t, v)}; a restore needs ${execHint(t.pid)}`);
  }
}

const PR_SET_CHILD_SUBREAPER = 36;

function setChildSubreaper(): void {
  try {
    prctl(PR_SET_CHILD_SUBREAPER, 1n);
  } catch (e) {
    log.debug(`cannot become a child subreaper: ${e instanceof Error ? e.message : e}`);
  }
}

function killAndReap(pid: number): void {
  try {
    kill(pid, SIGKILL);
    waitpid(pid);
  } catch {
    // already gone
  }
}

/** Our children now (every thread's /proc children list). */
function childrenOfThisProcess(): number[] {
  const out: number[] = [];
  try {
    for (const t of Deno.readDirSync("/proc/self/task")) {
      const text = Deno.readTextFileSync(`/proc/self/task/${t.name}/children`).trim();
      if (text) out.push(...text.split(" ").map(Number));
    }
  } catch {
    // no /proc: nothing to find
  }
  return out;
}

/**
 * Tasks a killed helper had started come back to us (child subreaper): kill
 * and reap them too, level by level, sparing children that were ours before.
 */
function killOrphans(ownChildren: ReadonlySet<number>): void {
  for (let round = 0; round < 64; round++) {
    const orphans = childrenOfThisProcess().filter((p) => !ownChildren.has(p));
    if (orphans.length === 0) return;
    for (const pid of orphans) killAndReap(pid);
  }
}

/** --file-locks: description locks now, POSIX locks for the tasks; without it, a warning. */
function fileLocks(
  cp: Checkpoint,
  live: readonly Task[],
  staged: RestoreSession,
  opts: RestoreOptions | CheckOptions,
) {
  if (opts.fileLocks) return takeFileLocks(cp, live, staged, log, opts.command === "restore");
  const n = cp.fileLocks?.length ?? 0;
  if (n > 0) log.warn(`${n} file lock(s) of filelocks.img are not restored: pass --file-locks`);
  return undefined;
}
