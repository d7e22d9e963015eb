/**
 * What a started task needs, as plain data that can travel to a helper: its
 * program, directory, umask, session and group, and its fd table as indexes
 * into one batch of descriptors sent with the plan.
 */
import type { FileDesc, Task } from "../model/mod.ts";
import { programOf, type StartOptions, taskFs } from "./start_task.ts";
import { userProgram } from "../program/mod.ts";
import type { RestoreSession } from "./open_files.ts";
import { CTTYS } from "../files/tty.ts";
import type { PosixLock } from "./file_locks.ts";
import { close, errnoText, O, open, SysError } from "../sys/mod.ts";

export interface TaskPlan {
  /** The pid in the dump. */
  pid: number;
  path: string;
  argv: string[];
  env: string[];
  cwd?: string;
  /** Batch indexes of O_PATH folders: the root to chroot into before exec, then the cwd. */
  rootDir?: number;
  cwdDir?: number;
  umask?: number;
  /** A session leader starts a new session. */
  setsid: boolean;
  /** The pid in the dump of its process group leader (itself included). */
  pgid: number;
  /** Target fd and index into the batch, pair after pair (flat: 100,000 fds make no arrays). */
  fds: number[];
  /** Terminal steps, done by a helper before its program starts. */
  tty?: TaskTty;
  /** pidfds the task opens itself once its children run: targets, target's pid in the dump, flags. */
  pidfds?: [number[], number, number][];
  /** POSIX locks the task takes on its fds (it starts through a helper). */
  locks?: PosixLock[];
  /** --shell-job: stays in fdrestore's process group (and session). */
  joinCallerGroup?: boolean;
  /** Signals it starts with ignored, as the caller had them (nohup). */
  keepIgnored?: number[];
  /** --listen-fds: LISTEN_PID=its own pid, which only the task itself knows before its exec. */
  listenPid?: boolean;
  /** Children that are not dead. */
  children: TaskPlan[];
}

export interface TaskTty {
  /** Batch index of the terminal to make controlling (TIOCSCTTY) before children start. */
  ctty?: number;
  /** Its foreground group (a pid of the dump) once the children run. */
  pgrp?: number;
  /** Files the task opens itself once the terminal is set: targets, path, flags. */
  opens: [number[], string, number][];
}

/**
 * What a helper needs before its fds are known: its task's session and group,
 * and its children that have children (helpers too). A helper starts from it
 * while fdrestore still opens the files, then gets its {@link TaskPlan}.
 */
export interface EarlyPlan {
  pid: number;
  setsid: boolean;
  pgid: number;
  keepIgnored?: number[];
  children: EarlyPlan[];
}

/** The early plan of `task` (which has live children) and of its descendants that have some. */
export function planEarly(task: Task, keepIgnored: readonly number[] = []): EarlyPlan {
  return {
    pid: task.pid,
    setsid: task.sid === task.pid,
    pgid: task.pgid,
    ...(keepIgnored.length ? { keepIgnored: [...keepIgnored] } : {}),
    children: liveChildren(task).filter((c) => liveChildren(c).length > 0)
      .map((c) => planEarly(c, keepIgnored)),
  };
}

/** Plans `task` and its subtree; `batch` collects the distinct staged fds. */
export function planTree(
  task: Task,
  staged: RestoreSession,
  opts: StartOptions,
  batch: number[],
  index = new Map<number, number>(),
): TaskPlan {
  const owner = task.tableOwner ?? task;
  const fds: number[] = [];
  const cleared: number[] = [];
  for (const e of owner.fds) {
    const cloexec = (e.fdFlags & 1) !== 0;
    if (cloexec && opts.cloexec === "honor") continue;
    if (cloexec) cleared.push(e.fd);
    const src = staged.tableFd(owner, e);
    if (src === undefined) continue; // the task opens it (planTty)
    let i = index.get(src);
    if (i === undefined) {
      i = batch.push(src) - 1;
      index.set(src, i);
    }
    fds.push(e.fd, i);
  }
  if (cleared.length > 0) {
    opts.log.info(`task ${task.pid}: fds ${cleared.join(",")} were close-on-exec; kept open`);
  }
  const tty = planTty(task, owner, staged, opts, batch, index);
  const pidfds = planPidfds(owner, staged, opts);
  const extraEnv = userProgram(task.pid, opts) ? [`FDRESTORE_PID=${task.pid}`] : [];
  const { path: program, argv, env } = programOf(task, { ...opts, extraEnv });
  const fs = taskFs(task, opts, program);
  const add = (fd: number | undefined): number | undefined => {
    if (fd === undefined) return undefined;
    staged.onCleanup(() => close(fd));
    return batch.push(fd) - 1;
  };
  const rootDir = add(fs.rootDir);
  const cwdDir = add(fs.cwdDir);
  const locks = opts.posixLocks?.get(task.pid);
  return {
    pid: task.pid,
    path: fs.path,
    argv,
    env,
    cwd: fs.cwd,
    ...(rootDir === undefined ? {} : { rootDir }),
    ...(cwdDir === undefined ? {} : { cwdDir }),
    umask: task.umask,
    setsid: task.sid === task.pid,
    pgid: task.pgid,
    fds,
    ...(tty ? { tty } : {}),
    ...(pidfds.length > 0 ? { pidfds } : {}),
    ...(locks ? { locks } : {}),
    ...(opts.keepIgnored?.length ? { keepIgnored: [...opts.keepIgnored] } : {}),
    children: opts.noChildren
      ? []
      : liveChildren(task).map((c) => planTree(c, staged, opts, batch, index)),
  };
}

function planTty(
  task: Task,
  owner: Task,
  staged: RestoreSession,
  opts: StartOptions,
  batch: number[],
  index: Map<number, number>,
): TaskTty | undefined {
  const ctty = task.pid === task.sid ? staged.state(CTTYS).get(task.sid) : undefined;
  const byOpen = new Map<string, [number[], string, number]>();
  for (const [target, o] of staged.taskOpens(owner)) {
    if (!("path" in o)) continue;
    const e = owner.fds.find((x) => x.fd === target)!;
    if ((e.fdFlags & 1) !== 0 && opts.cloexec === "honor") continue;
    const key = `${e.file.type}:${e.file.id}`;
    const entry = byOpen.get(key) ?? [[], o.path, o.flags];
    entry[0].push(target);
    byOpen.set(key, entry);
  }
  if (!ctty && byOpen.size === 0) return undefined;
  let at: number | undefined;
  if (ctty) {
    at = index.get(ctty.fd);
    if (at === undefined) {
      at = batch.push(ctty.fd) - 1;
      index.set(ctty.fd, at);
    }
  }
  return {
    ...(at === undefined ? {} : { ctty: at, pgrp: ctty!.pgrp }),
    opens: [...byOpen.values()],
  };
}

/** The pidfds a task opens itself, one open per file (its fds share it). */
function planPidfds(
  owner: Task,
  staged: RestoreSession,
  opts: StartOptions,
): [number[], number, number][] {
  const byFile = new Map<FileDesc, [number[], number, number]>();
  for (const [target, o] of staged.taskOpens(owner)) {
    if (!("pid" in o)) continue;
    const e = owner.fds.find((x) => x.fd === target)!;
    if ((e.fdFlags & 1) !== 0 && opts.cloexec === "honor") continue;
    const entry = byFile.get(e.file) ?? [[], o.pid, o.flags];
    entry[0].push(target);
    byFile.set(e.file, entry);
  }
  return [...byFile.values()];
}

/** Dead (zombie) tasks are not started: there is nothing to run. */
export function liveChildren(task: Task): Task[] {
  return task.children.filter((c) => c.state !== 2);
}

/** Every pid of a plan's subtree, the plan's own first. */
export function planPids(plan: TaskPlan): number[] {
  return [plan.pid, ...plan.children.flatMap(planPids)];
}

/** Marks the tasks of group `pgid` in a plan to stay in the caller's process group. */
export function joinCallerGroup(plan: TaskPlan, pgid: number): void {
  if (plan.pgid === pgid && !plan.setsid) plan.joinCallerGroup = true;
  for (const c of plan.children) joinCallerGroup(c, pgid);
}

/**
 * Why a task cannot enter its cwd `path` (posix_spawn's chdir only says
 * ENOENT, which reads as if the program were missing); undefined when it can.
 */
export function cwdProblem(pid: number, path: string): string | undefined {
  try {
    close(open(path, O.PATH | O.DIRECTORY | O.CLOEXEC));
    return undefined;
  } catch (e) {
    const why = e instanceof SysError ? errnoText(e.errno) : String(e);
    return `task ${pid}: cannot enter its cwd ${path}: ${why}`;
  }
}
