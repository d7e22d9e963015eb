/**
 * Running a call while one fd *number* of this process refers to a chosen
 * file: for kernel state keyed by the number a process used, such as an
 * epoll registration (the target's fd number is part of its key and shows as
 * `tfd:` in fdinfo).
 *
 * RISK: the number may belong to the Deno runtime (its epolls, eventfd and
 * sockets live at low numbers, exactly where restored fds go). For the length
 * of the call the runtime's number then refers to our file; a runtime thread
 * using it in that window would act on our file (deno-notes: dup2 over runtime
 * fds made Deno panic or write eventfd counters when Workers or signal storms
 * ran). Keep the window to a few synchronous FFI calls: no await, no
 * allocation-heavy JS, no logging inside `fn`, and never call this while
 * Workers or signal listeners are active. A free number is taken atomically
 * (F_DUPFD at that number) so nothing of the runtime is ever closed.
 *
 * @module
 */

import { F, FD_CLOEXEC, O } from "./consts.ts";
import { check } from "./errno.ts";
import { close, dup2, dupAbove, getFdFlags } from "./fd.ts";
import { libc } from "./libc.ts";

/**
 * Runs `fn(n)` while number `n` refers to `fd`'s open file description, then
 * restores number `n`: closed again if it was free, else the very description
 * and FD_CLOEXEC it had. `scratch` is the lowest number used for the saved
 * copy (keep it above every number you care about).
 */
export function atFdNumber<T>(fd: number, n: number, fn: (n: number) => T, scratch = n + 1): T {
  if (fd === n) return fn(n);
  const c = libc();
  // Lowest free number >= n: equal to n exactly when n is free, atomically.
  const got = check("fcntl", () => c.fcntl_int(fd, F.DUPFD, BigInt(n)), fd, `F_DUPFD ${n}`);
  if (got === n) {
    try {
      return fn(n);
    } finally {
      close(n);
    }
  }
  close(got);
  const flags = getFdFlags(n);
  const saved = dupAbove(n, Math.max(scratch, n + 1));
  try {
    dup2(fd, n);
    try {
      return fn(n);
    } finally {
      giveBack(saved, n, flags & FD_CLOEXEC ? O.CLOEXEC : 0);
    }
  } finally {
    close(saved);
  }
}

/**
 * Puts the runtime's file back at number `n`. This must not fail: with our
 * file left at the runtime's number, the next turn of the event loop would
 * act on it. dup3 onto an open number only fails transiently (EBUSY while
 * another thread opens, EINTR), so retry; if it still fails, say so in one
 * line and exit before the runtime runs again. Calls libc directly: no fault
 * injection here, and nothing that could throw.
 */
function giveBack(saved: number, n: number, flags: number): void {
  const c = libc();
  for (let i = 0; i < 1000; i++) {
    if (c.dup3(saved, n, flags) === n) return;
  }
  const line = new TextEncoder().encode(
    `fdrestore: error: cannot give fd ${n} back to the Deno runtime after an epoll registration\n`,
  );
  c.write(2, line, BigInt(line.length));
  c._exit(5);
}
