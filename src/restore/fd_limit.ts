/**
 * RLIMIT_NOFILE against the fd tables: every target number and the staging
 * area above them must fit. The limit is raised where allowed (the soft limit
 * up to the hard one, the hard one with CAP_SYS_RESOURCE); otherwise the
 * restore stops before opening anything, naming the highest fd.
 */
import type { Task } from "../model/mod.ts";
import { RestoreError } from "../files/restore_error.ts";
import { getrlimit, RLIMIT_NOFILE, setrlimit } from "../sys/mod.ts";

/** Headroom above the staged files for the runtime's and the openers' own fds. */
const SPARE = 64;

/** Makes sure fds up to the staging area fit; throws naming the fd that cannot. */
export function ensureFdLimit(tasks: readonly Task[], stageBase: number): void {
  let top: { fd: number; pid: number } | undefined;
  const files = new Set<unknown>();
  for (const t of tasks) {
    for (const e of t.fds) {
      files.add(e.file);
      if (!top || e.fd > top.fd) top = { fd: e.fd, pid: t.pid };
    }
  }
  if (!top) return;
  const need = BigInt(stageBase + files.size + SPARE);
  const now = getrlimit(RLIMIT_NOFILE);
  if (now.cur >= need) return;
  try {
    setrlimit(RLIMIT_NOFILE, { cur: need, max: now.max >= need ? now.max : need });
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new RestoreError(
      `fd ${top.fd} of task ${top.pid}: RLIMIT_NOFILE is ${now.cur} (hard ${now.max}) and ` +
        `${need} are needed for the fd table and its staging; can't bump rlimit: ${why}`,
      { pid: top.pid, fd: top.fd },
      { cause: e },
    );
  }
}
