/**
 * Starts a task's program on its restored fd table with posix_spawn (decision
 * 4): the fds are placed by file actions in the child, never over the Deno
 * runtime's own fds.
 */
import type { Logger } from "../cli/log.ts";
import type { Task } from "../model/mod.ts";
import { RestoreError } from "../files/restore_error.ts";
import { realPathInRoot } from "../sys/mod.ts";
import type { PosixLock } from "./file_locks.ts";

export interface StartOptions {
  /** `-- PROGRAM ARGS`: replaces the program recorded in the images. */
  readonly program?: readonly string[];
  /** "honor": leave out fds the images flag close-on-exec, as an exec would. */
  readonly cloexec: "keep" | "honor";
  readonly root: string;
  readonly log: Logger;
  /** Extra environment for the started program (FDRESTORE_PID...). */
  readonly extraEnv?: readonly string[];
  /** Signals the caller ignored (nohup): the program starts with them ignored too. */
  readonly keepIgnored?: readonly number[];
  /** `--no-children`: the top task starts alone. */
  readonly noChildren?: boolean;
  /** --file-locks: the POSIX locks each task (pid in the dump) takes before its program runs. */
  readonly posixLocks?: ReadonlyMap<number, PosixLock[]>;
}

/** The program, argv and environment a task starts with. */
export function programOf(
  task: Task,
  opts: StartOptions,
): { path: string; argv: string[]; env: string[] } {
  const env = [...(task.env ?? []), ...(opts.extraEnv ?? [])];
  if (opts.program && opts.program.length > 0) {
    return { path: searchPath(opts.program[0], task.pid), argv: [...opts.program], env };
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
  return { path: inRoot(opts.root, task.exe, task.pid, "program"), argv, env };
}

/**
 * The program after `--` as a shell would find it: a name without a slash is
 * looked up in fdrestore's own PATH (the caller's, not the task's).
 */
export function searchPath(program: string, pid: number): string {
  if (program.includes("/")) return program;
  let dirs: string[] = [];
  try {
    dirs = (Deno.env.get("PATH") ?? "/usr/local/bin:/usr/bin:/bin").split(":");
  } catch {
    // no --allow-env: only paths with a slash work
  }
  for (const dir of dirs) {
    const path = `${dir || "."}/${program}`;
    try {
      const st = Deno.statSync(path);
      if (st.isFile && st.mode !== null && (st.mode & 0o111) !== 0) return path;
    } catch {
      // not in this one
    }
  }
  throw new RestoreError(`task ${pid}: cannot start ${program}: not found in PATH`, { pid });
}

/** An image path (program, cwd) resolved inside the root: `..` and symlinks stay in it. */
export function inRoot(root: string, path: string, pid: number, what: string): string {
  try {
    return realPathInRoot(root, path);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new RestoreError(`task ${pid}: cannot find its ${what} ${path} in ${root}: ${why}`, {
      pid,
    }, { cause: e });
  }
}
