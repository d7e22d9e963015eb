/**
 * Starts a task's program on its restored fd table with posix_spawn (decision
 * 4): the fds are placed by file actions in the child, never over the Deno
 * runtime's own fds.
 */
import type { Logger } from "../log.ts";
import type { Task } from "../model/mod.ts";
import { programError, RestoreError } from "../restore_error.ts";
import {
  closeQuietly,
  ERRNO,
  O,
  openInRoot,
  openInRootFd,
  realPathInRoot,
  SysError,
} from "../sys/mod.ts";
import { type ProgramChoice, usableEnv, userProgram } from "../program/mod.ts";
import type { PosixLock } from "./file_locks.ts";

export interface StartOptions extends ProgramChoice {
  /** "honor": leave out fds the images flag close-on-exec, as an exec would. */
  readonly cloexec: "keep" | "honor";
  readonly root: string;
  readonly log: Logger;
  /** Extra environment for the started program (FDRESTORE_PID...). */
  readonly extraEnv?: readonly string[];
  /** --untrusted: the program gets fdrestore's environment, never the image's. */
  readonly untrusted?: boolean;
  /** Signals the caller ignored (nohup): the program starts with them ignored too. */
  readonly keepIgnored?: readonly number[];
  /** `--no-children`: the top task starts alone. */
  readonly noChildren?: boolean;
  /** --file-locks: the POSIX locks each task (pid in the dump) takes before its program runs. */
  readonly posixLocks?: ReadonlyMap<number, PosixLock[]>;
}

/** The program (as given or recorded: {@link taskFs} finds it), argv and environment a task starts with. */
export function programOf(
  task: Task,
  opts: StartOptions,
): { path: string; argv: string[]; env: string[] } {
  // An image's environment (LD_PRELOAD...) would run its code in any program.
  const own = opts.untrusted
    ? Object.entries(Deno.env.toObject()).map(([k, v]) => `${k}=${v}`)
    : [];
  const recorded = usableEnv(opts.untrusted ? [] : task.env ?? []);
  if (recorded.dropped > 0) {
    opts.log.info(
      `task ${task.pid}: ${recorded.dropped} environment strings without '=' left out ` +
        `(a process title was written over them)`,
    );
  }
  const env = [...own, ...recorded.env, ...(opts.extraEnv ?? [])];
  const program = userProgram(task.pid, opts);
  if (program && program.length > 0) {
    return { path: program[0], argv: [...program], env };
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
  return { path: task.exe, argv, env };
}

/**
 * The program after `--` as a shell would find it: a name without a slash is
 * looked up in fdrestore's own PATH (the caller's, not the task's).
 */
export function searchPath(program: string, pid: number): string {
  if (program.includes("/")) return program;
  for (const dir of pathDirs()) {
    const path = `${dir || "."}/${program}`;
    try {
      const st = Deno.statSync(path);
      if (st.isFile && st.mode !== null && (st.mode & 0o111) !== 0) return path;
    } catch {
      // not in this one
    }
  }
  throw programError(`task ${pid}: cannot start ${program}: not found in PATH`, pid, undefined);
}

/** An image path (program, cwd) resolved inside the root: `..` and symlinks stay in it. */
export function inRoot(root: string, path: string, pid: number, what: string): string {
  try {
    return realPathInRoot(root, path);
  } catch (e) {
    throw notFound(`task ${pid}: cannot find its ${what} ${path} in ${root}`, pid, what, e);
  }
}

/** A lookup that failed: a missing program (ENOENT) is "not found" (127), anything else ours. */
function notFound(text: string, pid: number, what: string, e: unknown): RestoreError {
  const why = e instanceof Error ? e.message : String(e);
  if (what === "program" && e instanceof SysError && e.errno === ERRNO.ENOENT) {
    return programError(`${text}: ${why}`, pid, e.errno, { cause: e });
  }
  return new RestoreError(`${text}: ${why}`, { pid }, { cause: e });
}

/**
 * Where a task runs. The recorded program, as criu restores it, runs in its
 * root: with --root, or a recorded root other than "/", this gives O_PATH
 * descriptors of the root to chroot into (--root joined with the recorded
 * root) and of the cwd, and the program as a path inside that root. A program
 * after `--` is the caller's: it runs on the host's "/", found in the
 * caller's PATH, in the task's cwd (by descriptor under --root). Without a
 * root, program and cwd are host paths. The caller owns the descriptors.
 */
export interface TaskFs {
  path: string;
  cwd?: string;
  rootDir?: number;
  cwdDir?: number;
}

export function taskFs(task: Task, opts: StartOptions, program: string): TaskFs {
  const taskRoot = task.root ?? "/";
  const given = (userProgram(task.pid, opts)?.length ?? 0) > 0;
  if (isSlash(opts.root) && (given || isSlash(taskRoot))) {
    const cwd = task.cwd === undefined ? undefined : inRoot(opts.root, task.cwd, task.pid, "cwd");
    const path = given
      ? searchPath(program, task.pid)
      : inRoot(opts.root, program, task.pid, "program");
    return { path, cwd };
  }
  const cwdDir = task.cwd === undefined ? undefined : dirIn(opts.root, task.cwd, task.pid, "cwd");
  if (given) return { path: searchPath(program, task.pid), cwdDir };
  let rootDir: number | undefined;
  try {
    rootDir = dirIn(opts.root, taskRoot, task.pid, "root");
    return { path: programInRoot(task, rootDir, taskRoot), rootDir, cwdDir };
  } catch (e) {
    if (rootDir !== undefined) closeQuietly(rootDir);
    if (cwdDir !== undefined) closeQuietly(cwdDir);
    throw e;
  }
}

function dirIn(root: string, path: string, pid: number, what: string): number {
  try {
    return openInRoot(root, path, O.PATH | O.DIRECTORY | O.CLOEXEC);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new RestoreError(`task ${pid}: cannot find its ${what} ${path} in ${root}: ${why}`, {
      pid,
    }, { cause: e });
  }
}

/** The recorded program as a path inside the task's root, checked to be there. */
function programInRoot(task: Task, rootDir: number, taskRoot: string): string {
  const exe = task.exe!; // programOf refused a task without one
  const prefix = taskRoot.replace(/\/+$/, "");
  if (prefix !== "" && !exe.startsWith(prefix + "/")) {
    throw new RestoreError(`task ${task.pid}: its program ${exe} is outside its root ${taskRoot}`, {
      pid: task.pid,
    });
  }
  const path = exe.slice(prefix.length);
  try {
    closeQuietly(openInRootFd(rootDir, path, O.PATH | O.CLOEXEC));
  } catch (e) {
    throw notFound(
      `task ${task.pid}: cannot find its program ${exe} in its root`,
      task.pid,
      "program",
      e,
    );
  }
  return path;
}

function pathDirs(): string[] {
  try {
    return (Deno.env.get("PATH") ?? "/usr/local/bin:/usr/bin:/bin").split(":");
  } catch {
    return []; // no --allow-env: only paths with a slash work
  }
}

function isSlash(path: string): boolean {
  return /^\/+$/.test(path);
}
