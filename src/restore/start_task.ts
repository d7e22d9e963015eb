/**
 * Starts a task's program on its restored fd table with posix_spawn (decision
 * 4): the fds are placed by file actions in the child, never over the Deno
 * runtime's own fds.
 */
import type { Logger } from "../cli/log.ts";
import type { Task } from "../model/mod.ts";
import { RestoreError } from "../files/restore_error.ts";
import { closeQuietly, O, openInRoot, openInRootFd, realPathInRoot } from "../sys/mod.ts";

export interface StartOptions {
  /** `-- PROGRAM ARGS`: replaces the program recorded in the images. */
  readonly program?: readonly string[];
  /** "honor": leave out fds the images flag close-on-exec, as an exec would. */
  readonly cloexec: "keep" | "honor";
  readonly root: string;
  readonly log: Logger;
  /** Extra environment for the started program (FDRESTORE_PID...). */
  readonly extraEnv?: readonly string[];
  /** --untrusted: the program gets fdrestore's environment, never the image's. */
  readonly untrusted?: boolean;
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
  const env = [...(opts.untrusted ? own : task.env ?? []), ...(opts.extraEnv ?? [])];
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

/**
 * Where a task runs: without a root to enter (no --root, the recorded root
 * "/"), its program and cwd as host paths. Otherwise, as criu restores into
 * the root: O_PATH descriptors of the root to chroot into (--root joined with
 * the task's recorded root) and of the cwd, and the program as a path inside
 * that root (the recorded one, or the one after `--`, looked up there).
 * The caller owns the descriptors.
 */
export interface TaskFs {
  path: string;
  cwd?: string;
  rootDir?: number;
  cwdDir?: number;
}

export function taskFs(task: Task, opts: StartOptions, program: string): TaskFs {
  const taskRoot = task.root ?? "/";
  if (isSlash(opts.root) && isSlash(taskRoot)) {
    const cwd = task.cwd === undefined ? undefined : inRoot(opts.root, task.cwd, task.pid, "cwd");
    const path = opts.program?.length
      ? searchPath(program, task.pid)
      : inRoot(opts.root, program, task.pid, "program");
    return { path, cwd };
  }
  const rootDir = dirIn(opts.root, taskRoot, task.pid, "root");
  let cwdDir: number | undefined;
  try {
    if (task.cwd !== undefined) cwdDir = dirIn(opts.root, task.cwd, task.pid, "cwd");
    return { path: programInRoot(task, opts, rootDir, taskRoot), rootDir, cwdDir };
  } catch (e) {
    closeQuietly(rootDir);
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

/** The program as a path inside the task's root, checked to be there. */
function programInRoot(task: Task, opts: StartOptions, rootDir: number, taskRoot: string): string {
  const given = opts.program?.[0];
  let candidates: string[];
  if (given !== undefined) {
    candidates = given.includes("/") ? [given] : pathDirs().map((d) => `${d || "."}/${given}`);
  } else {
    const exe = task.exe!; // programOf refused a task without one
    const prefix = taskRoot.replace(/\/+$/, "");
    if (prefix !== "" && !exe.startsWith(prefix + "/")) {
      throw new RestoreError(
        `task ${task.pid}: its program ${exe} is outside its root ${taskRoot}`,
        { pid: task.pid },
      );
    }
    candidates = [exe.slice(prefix.length)];
  }
  for (const path of candidates) {
    try {
      closeQuietly(openInRootFd(rootDir, path, O.PATH | O.CLOEXEC));
      return path;
    } catch {
      // not this one
    }
  }
  throw new RestoreError(
    `task ${task.pid}: cannot find its program ${given ?? task.exe} inside its root`,
    { pid: task.pid },
  );
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
