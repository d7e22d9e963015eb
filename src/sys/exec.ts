/**
 * Becoming a restored task: place an exact fd table over this process's own
 * numbers and execve, in one synchronous burst.
 *
 * This is the one place where fds are put over numbers the Deno runtime owns
 * (decision 4 forbids it everywhere else). It is only sound in a process that
 * runs nothing else — fdrestore's internal helper, which holds no workers and
 * no signal listeners — and only because nothing returns to the event loop
 * between the first dup2 and execve. Failures after the first dup2 cannot be
 * thrown (the runtime's fds are gone): they are written to `reportFd` and the
 * process exits with 127.
 *
 * @module
 */
import { check, errnoText } from "./errno.ts";
import { dupAbove } from "./fd.ts";
import { cloexecFrom, closeRange } from "./kinds.ts";
import { CLOSE_RANGE, F } from "./consts.ts";
import { libc } from "./libc.ts";
import { F_LOCK } from "./locks.ts";
import { cArray, childMoves, envStrings } from "./spawn.ts";
import { cstr, encodeFlock, type RecordLock, sigset } from "./structs.ts";

export interface ExecOptions {
  path: string;
  argv: readonly string[];
  env: readonly string[] | Readonly<Record<string, string>>;
  /** The whole fd table after exec: target number → source fd here. */
  fds: ReadonlyMap<number, number>;
  cwd?: string;
  /** Descriptors (O_PATH) of a folder to chroot into, then of the cwd: used instead of `cwd`. */
  rootDir?: number;
  cwdDir?: number;
  umask?: number;
  setsid?: boolean;
  /** setpgid(0, pgid); 0 makes this process a group leader. */
  setpgid?: number;
  /**
   * POSIX record locks to take on target fds once the table is in place. They
   * belong to this process and survive execve, but any close of their file
   * drops them: every other copy of the placed fds is closed first.
   */
  locks?: readonly (RecordLock & { fd: number })[];
  /** Descriptors received for this exec that are not targets (closed before the locks). */
  received?: readonly number[];
  /** Where a failure after the point of no return is reported. */
  reportFd: number;
  /**
   * The bytes written there for a failure (default: a JSON line `{"error": ...}`);
   * `execErrno` is set when execve itself failed (the program cannot be run).
   */
  encodeReport?: (text: string, execErrno?: number) => Uint8Array;
  /** Signals the program starts with ignored (the caller's nohup); every other is SIG_DFL. */
  keepIgnored?: readonly number[];
}

const SIG_SETMASK = 2;
const encoder = new TextEncoder();

/** Never returns: the process becomes `path`, or reports why not and exits 127. */
export function execWithFds(o: ExecOptions): never {
  const c = libc();
  // Everything that can fail cleanly happens before the first fd is placed.
  const path = cstr(o.path);
  const argv = cArray(o.argv);
  const env = cArray(envStrings(o.env));
  const empty = sigset([]);
  // criu's order: into the root, then the cwd (which may lie outside it), all by descriptor.
  if (o.rootDir !== undefined) {
    check("fchdir", () => c.fchdir(o.rootDir!), o.rootDir);
    check("chroot", () => c.chroot(cstr(".")), ".");
  }
  if (o.cwdDir !== undefined) check("fchdir", () => c.fchdir(o.cwdDir!), o.cwdDir);
  else if (o.cwd !== undefined) check("chdir", () => c.chdir(cstr(o.cwd!)), o.cwd);
  if (o.setsid) check("setsid", () => c.setsid());
  else if (o.setpgid !== undefined) {
    check("setpgid", () => c.setpgid(0, o.setpgid!), `pgid ${o.setpgid}`);
  }
  const targets = [...o.fds.keys()].sort((a, b) => a - b);
  const max = targets.length ? targets[targets.length - 1] : -1;
  // The report channel moves above every target; sources are placed where they are.
  const report = o.reportFd > max ? o.reportFd : dupAbove(o.reportFd, max + 1);
  const moves = childMoves(o.fds, [report]);
  const locks = (o.locks ?? []).map((l) => ({ fd: l.fd, buf: encodeFlock({ ...l, pid: 0 }) }));
  const copies = new Set([...o.fds.values(), ...moves.spares, ...(o.received ?? [])]);
  for (const t of targets) copies.delete(t);
  copies.delete(report);

  // The point of no return: from here only FFI calls, no awaits, no throws.
  const fail = (what: string, errno: number, exec = false): never => {
    const text = `${what}: ${errnoText(errno)}`;
    const line = o.encodeReport?.(text, exec ? errno : undefined) ??
      encoder.encode(JSON.stringify({ error: text }) + "\n");
    c.write(report, line, BigInt(line.length));
    c._exit(127);
    throw new Error("unreachable");
  };
  const errno = () => new Deno.UnsafePointerView(c.__errno_location()!).getInt32(0);
  // Ignored ones survive exec: all but the kept ones go back to SIG_DFL.
  const keep = new Set(o.keepIgnored ?? []);
  for (let n = 1; n <= 64; n++) if (n !== 9 && n !== 19) c.signal(n, keep.has(n) ? 1n : 0n);
  c.sigprocmask(SIG_SETMASK, empty, null);
  for (const [from, to] of moves.dup2) {
    if (from === to) {
      if (c.fcntl_int(to, F.SETFD, 0n) < 0) fail(`fcntl(fd ${to}, F_SETFD)`, errno());
    } else if (c.dup2(from, to) < 0) fail(`dup2(fd ${from}, fd ${to})`, errno());
  }
  try {
    // Every other fd closes at exec: the gaps between targets and all above.
    let next = 0;
    for (const t of targets) {
      if (t > next) closeRange(next, t - 1, CLOSE_RANGE.CLOEXEC);
      next = t + 1;
    }
    cloexecFrom(next);
  } catch {
    fail("close_range", errno());
  }
  if (locks.length > 0) {
    for (const fd of copies) c.close(fd);
    for (const l of locks) {
      if (c.fcntl_ptr(l.fd, F_LOCK.SETLK, l.buf) < 0) fail(`fcntl(fd ${l.fd}, F_SETLK)`, errno());
    }
  }
  if (o.umask !== undefined) c.umask(o.umask);
  c.execve(path, argv.array, env.array);
  const e = errno();
  void [argv.keep, env.keep]; // alive until execve returned
  return fail(`execve(${o.path})`, e, true);
}
