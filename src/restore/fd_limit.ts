/**
 * RLIMIT_NOFILE against the fd tables: every target number must fit, and so
 * must every file held open here (they sit at the lowest free numbers, below
 * the count of fds open now plus the files; spawn moves them to their targets
 * in the child). The limit is raised where allowed (the soft limit
 * up to the hard one, the hard one with CAP_SYS_RESOURCE); otherwise the
 * restore stops before opening anything, naming the highest fd.
 *
 * It also grows this process's fd table to that size at once: the kernel
 * grows a table shared by several threads (Deno's) with an RCU grace period
 * each time, which one at a time as fds are opened cost ~70 ms for 3,000 fds.
 * That one wait (~10 ms) can overlap the reading of the images: see
 * {@link growFdTableEarly}.
 */
import type { Task } from "../model/mod.ts";
import { RestoreError } from "../restore_error.ts";
import {
  close,
  closeQuietly,
  dupAbove,
  dupAboveInBackground,
  getrlimit,
  O,
  open,
  RLIMIT_NOFILE,
  setrlimit,
} from "../sys/mod.ts";

/** Headroom for the openers' passing fds and the child's spare numbers. */
const SPARE = 64;
/** The kernel's first fd table: restores that fit never wait for a growth. */
const FIRST_TABLE = 64;
/** The most an early growth asks for, whatever the limit (64 Ki fds: 512 KiB of table). */
const EARLY_MAX = 1 << 16;

/** A growth of the fd table running on a worker thread. */
export interface FdTableGrowth {
  /** The fd number the table will hold. */
  readonly top: number;
  /** Settles once the table has grown (or the attempt failed). */
  readonly done: Promise<void>;
}

/**
 * Starts growing the fd table as far as the soft RLIMIT_NOFILE allows (at most
 * 64 Ki fds) before the images are read. Only a speed-up: never throws.
 */
export function growFdTableEarly(): FdTableGrowth | undefined {
  try {
    const top = Math.min(Number(getrlimit(RLIMIT_NOFILE).cur), EARLY_MAX) - 1;
    if (top < FIRST_TABLE) return undefined;
    const fd = open("/", O.PATH | O.CLOEXEC);
    const done = dupAboveInBackground(fd, top).then(
      (copy) => {
        closeQuietly(copy);
        closeQuietly(fd);
      },
      () => closeQuietly(fd),
    );
    return { top, done };
  } catch {
    return undefined;
  }
}

/**
 * Makes sure every target number and every staged file fit; throws naming the
 * highest fd when they cannot. With an early growth that covers them, waits
 * for it instead of growing here.
 */
export async function ensureFdLimit(
  tasks: readonly Task[],
  early?: FdTableGrowth,
): Promise<void> {
  let top: { fd: number; pid: number } | undefined;
  const files = new Set<unknown>();
  for (const t of tasks) {
    for (const e of t.fds) {
      files.add(e.file);
      if (!top || e.fd > top.fd) top = { fd: e.fd, pid: t.pid };
    }
  }
  if (!top) return;
  const need = BigInt(Math.max(top.fd + 1, openFdCount() + files.size) + SPARE);
  const now = getrlimit(RLIMIT_NOFILE);
  if (now.cur < need) raise(need, now, top);
  if (early && Number(need) - 1 <= early.top) {
    if (need > FIRST_TABLE) await early.done;
    return;
  }
  growFdTable(Number(need) - 1);
}

function raise(need: bigint, now: { cur: bigint; max: bigint }, top: { fd: number; pid: number }) {
  try {
    setrlimit(RLIMIT_NOFILE, { cur: need, max: now.max >= need ? now.max : need });
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new RestoreError(
      `fd ${top.fd} of task ${top.pid}: RLIMIT_NOFILE is ${now.cur} (hard ${now.max}) and ` +
        `${need} are needed for the fd table and the files held to restore it; ` +
        `can't bump rlimit: ${why}`,
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

/** How many fds this process holds now (the runtime's, inherited ones). */
function openFdCount(): number {
  try {
    let n = 0;
    for (const _ of Deno.readDirSync("/proc/self/fd")) n++;
    return n;
  } catch {
    return SPARE; // no /proc listing: assume a runtime's worth
  }
}
