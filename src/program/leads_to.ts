/**
 * Does a name lead to a task's exe? The name is looked up the way it was run:
 * a path from the task's cwd, or a bare name in the task's PATH (the default
 * PATH when its environment has none). Everything is resolved inside the
 * restore's root and compared by device and inode, so a link anywhere on the
 * way (redis-server → redis-check-rdb) counts, and nothing outside the root does.
 *
 * @module
 */
import { close, fstat, O, openInRoot } from "../sys/mod.ts";

const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export interface TaskPaths {
  readonly exe: string;
  readonly cwd?: string;
  readonly env?: readonly string[];
}

/** A `leadsToExe` for `judge`, with the exe looked up once. */
export function leadsToExe(task: TaskPaths, root: string): (name: string) => boolean {
  const exe = identity(root, task.exe);
  if (exe === undefined) return () => false;
  const path = task.env?.find((s) => s.startsWith("PATH="))?.slice(5) ?? DEFAULT_PATH;
  return (name) => {
    if (name === "") return false;
    const candidates = name.includes("/")
      ? [name.startsWith("/") ? name : `${task.cwd ?? "/"}/${name}`]
      : path.split(":").filter((d) => d.startsWith("/")).map((d) => `${d}/${name}`);
    return candidates.some((c) => identity(root, c) === exe);
  };
}

/** "dev:ino" of what `path` names inside `root`, undefined when it cannot be opened. */
function identity(root: string, path: string): string | undefined {
  let fd: number;
  try {
    fd = openInRoot(root, path, O.PATH | O.CLOEXEC);
  } catch {
    return undefined;
  }
  try {
    const st = fstat(fd);
    return `${st.dev}:${st.ino}`;
  } finally {
    close(fd);
  }
}
