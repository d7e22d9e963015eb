/**
 * Starts a task's program on its restored fd table with posix_spawn (decision
 * 4): the fds are placed by file actions in the child, never over the Deno
 * runtime's own fds.
 */
import { join } from "node:path";
import type { Logger } from "../cli/log.ts";
import type { Task } from "../model/mod.ts";
import { RestoreError } from "../files/restore_error.ts";
import { errnoText, spawn, SysError, umask } from "../sys/mod.ts";

export interface StartOptions {
  /** `-- PROGRAM ARGS`: replaces the program recorded in the images. */
  readonly program?: readonly string[];
  /** "honor": leave out fds the images flag close-on-exec, as an exec would. */
  readonly cloexec: "keep" | "honor";
  readonly root: string;
  readonly log: Logger;
  /** Extra environment for the started program (FDRESTORE_PID...). */
  readonly extraEnv?: readonly string[];
}

/** The program, argv and environment a task starts with. */
export function programOf(
  task: Task,
  opts: StartOptions,
): { path: string; argv: string[]; env: string[] } {
  const env = [...(task.env ?? []), ...(opts.extraEnv ?? [])];
  if (opts.program && opts.program.length > 0) {
    return { path: opts.program[0], argv: [...opts.program], env };
  }
  if (!task.exe) {
    throw new RestoreError(
      `task ${task.pid} has no executable in its images; name a program after --`,
      {
        pid: task.pid,
      },
    );
  }
  const argv = task.argv && task.argv.length > 0 ? task.argv : [task.exe];
  return { path: join(opts.root, task.exe), argv, env };
}

/** Spawns `task` on `table` (target fd → staged fd); returns the new pid. */
export function startTask(task: Task, table: Map<number, number>, opts: StartOptions): number {
  const fds = new Map<number, number>();
  const cleared: number[] = [];
  for (const e of task.fds) {
    const cloexec = (e.fdFlags & 1) !== 0;
    if (cloexec && opts.cloexec === "honor") continue;
    if (cloexec) cleared.push(e.fd);
    fds.set(e.fd, table.get(e.fd)!);
  }
  if (cleared.length > 0) {
    opts.log.info(
      `task ${task.pid}: fds ${cleared.join(",")} were close-on-exec; kept open (--cloexec=keep)`,
    );
  }
  const { path, argv, env } = programOf(task, opts);
  const cwd = task.cwd === undefined ? undefined : join(opts.root, task.cwd);
  if (task.root !== undefined && task.root !== "/") {
    opts.log.warn(
      `task ${task.pid}: its root ${task.root} is not restored (chroot is not supported yet)`,
    );
  }
  // umask is inherited at spawn: set ours for the moment of the call.
  const saved = task.umask === undefined ? undefined : umask(task.umask);
  try {
    return spawn({
      path,
      argv,
      env,
      fds,
      cwd,
      setsid: task.sid === task.pid,
      setpgroup: task.sid !== task.pid && task.pgid === task.pid ? 0 : undefined,
    });
  } catch (e) {
    const why = e instanceof SysError ? errnoText(e.errno) : String(e);
    throw new RestoreError(`task ${task.pid}: cannot start ${path}: ${why}`, { pid: task.pid }, {
      cause: e,
    });
  } finally {
    if (saved !== undefined) umask(saved);
  }
}
