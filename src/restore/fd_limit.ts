/**
 * RLIMIT_NOFILE against the fd tables: every target number and the staging
 * area above them must fit. The limit is raised where allowed (the soft limit
 * up to the hard one, the hard one with CAP_SYS_RESOURCE); otherwise the
 * restore stops before opening anything, naming the highest fd.
 *
 * It also grows this process's fd table to that size at once: the kernel
 * grows a table shared by several threads (Deno's) with an RCU grace period
 * each time, which one at a time as fds are opened cost ~70 ms for 3,000 fds.
 */
import type { Task } from "../model/mod.ts";
import { RestoreError } from "../files/restore_error.ts";
import { close, dupAbove, getrlimit, O, open, RLIMIT_NOFILE, setrlimit } from "../sys/mod.ts";

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
  if (now.cur < need) raise(need, now, top);
  growFdTable(Number(need) - 1);
}

function raise(need: bigint, now: { cur: bigint; max: bigint }, top: { fd: number; pid: number }) {
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

/**
 * Makes the kernel size the fd table for fd `top` in one step (a copy there,
 * closed). Only a speed-up: when it fails, the opens that follow say why.
 */
function growFdTable(top: number): void {
  try {
    const fd = open("/", O.PATH | O.CLOEXEC);
    try {
      close(dupAbove(fd, top));
    } finally {
      close(fd);
    }
  } catch {
    // the table grows as fds are opened instead
  }
}
