/**
 * What a started task needs, as plain data that can travel to a helper: its
 * program, directory, umask, session and group, and its fd table as indexes
 * into one batch of descriptors sent with the plan.
 */
import type { Task } from "../model/mod.ts";
import { inRoot, programOf, type StartOptions } from "./start_task.ts";
import type { StagedFiles } from "./open_files.ts";

export interface TaskPlan {
  /** The pid in the dump. */
  pid: number;
  path: string;
  argv: string[];
  env: string[];
  cwd?: string;
  umask?: number;
  /** A session leader starts a new session. */
  setsid: boolean;
  /** The pid in the dump of its process group leader (itself included). */
  pgid: number;
  /** [target fd, index into the batch]. */
  fds: [number, number][];
  /** Children that are not dead. */
  children: TaskPlan[];
}

/** Plans `task` and its subtree; `batch` collects the distinct staged fds. */
export function planTree(
  task: Task,
  staged: StagedFiles,
  opts: StartOptions,
  batch: number[],
  index = new Map<number, number>(),
): TaskPlan {
  const owner = task.tableOwner ?? task;
  const table = staged.tableOf(owner);
  const fds: [number, number][] = [];
  const cleared: number[] = [];
  for (const e of owner.fds) {
    const cloexec = (e.fdFlags & 1) !== 0;
    if (cloexec && opts.cloexec === "honor") continue;
    if (cloexec) cleared.push(e.fd);
    const src = table.get(e.fd)!;
    let i = index.get(src);
    if (i === undefined) {
      i = batch.push(src) - 1;
      index.set(src, i);
    }
    fds.push([e.fd, i]);
  }
  if (cleared.length > 0) {
    opts.log.info(`task ${task.pid}: fds ${cleared.join(",")} were close-on-exec; kept open`);
  }
  const extraEnv = opts.program ? [`FDRESTORE_PID=${task.pid}`] : [];
  const { path, argv, env } = programOf(task, { ...opts, extraEnv });
  return {
    pid: task.pid,
    path,
    argv,
    env,
    cwd: task.cwd === undefined ? undefined : inRoot(opts.root, task.cwd, task.pid, "cwd"),
    umask: task.umask,
    setsid: task.sid === task.pid,
    pgid: task.pgid,
    fds,
    children: liveChildren(task).map((c) => planTree(c, staged, opts, batch, index)),
  };
}

/** Dead (zombie) tasks are not started: there is nothing to run. */
export function liveChildren(task: Task): Task[] {
  return task.children.filter((c) => c.state !== 2);
}

/** Every pid of a plan's subtree, the plan's own first. */
export function planPids(plan: TaskPlan): number[] {
  return [plan.pid, ...plan.children.flatMap(planPids)];
}
