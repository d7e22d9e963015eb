/**
 * errno handling: the {@link SysError} type, errno names, and the one checking
 * function every libc wrapper goes through (EINTR retry, fault injection).
 *
 * @module
 */

import { EXIT, FdrestoreError } from "../errors.ts";
import { libc } from "./libc.ts";

/** errno numbers fdrestore refers to by name (x86_64 Linux). */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  ENOEXEC: 8,
  EBADF: 9,
  ECHILD: 10,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ENOTTY: 25,
  ETXTBSY: 26,
  ENOSPC: 28,
  ESPIPE: 29,
  EROFS: 30,
  EPIPE: 32,
  ERANGE: 34,
  ENAMETOOLONG: 36,
  ENOSYS: 38,
  ENOTEMPTY: 39,
  ELOOP: 40,
  ENOTSOCK: 88,
  EDESTADDRREQ: 89,
  EMSGSIZE: 90,
  EPROTOTYPE: 91,
  ENOPROTOOPT: 92,
  EPROTONOSUPPORT: 93,
  EOPNOTSUPP: 95,
  EAFNOSUPPORT: 97,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ECONNRESET: 104,
  EISCONN: 106,
  ENOTCONN: 107,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
} as const;

const NAMES = new Map<number, string>(Object.entries(ERRNO).map(([k, v]) => [v, k]));

function cString(p: Deno.PointerValue): string | undefined {
  return p === null ? undefined : Deno.UnsafePointerView.getCString(p);
}

/** The symbolic name of an errno number, e.g. 9 → "EBADF" ("E<n>" if unknown). */
export function errnoName(errno: number): string {
  const fromLibc = cString(libc().strerrorname_np?.(errno) ?? null);
  return fromLibc ?? NAMES.get(errno) ?? `E${errno}`;
}

/** The C-locale text of an errno number, e.g. 9 → "Bad file descriptor". */
export function errnoText(errno: number): string {
  const c = libc();
  return cString(c.strerrordesc_np?.(errno) ?? null) ?? cString(c.strerror(errno)) ??
    `errno ${errno}`;
}

/** How an argument of a failed call is shown: numbers are fds, strings verbatim. */
export type CallArg = number | string;

/** A libc call failed. `fd` is the first fd involved, `fds` all of them. */
export class SysError extends FdrestoreError {
  readonly call: string;
  readonly fd?: number;
  readonly fds: readonly number[];
  readonly errno: number;
  /** The errno name ("EBADF"), or a pseudo-code such as "MSG_CTRUNC" when errno is 0. */
  readonly code: string;

  constructor(
    call: string,
    errno: number,
    args: readonly CallArg[] = [],
    options?: ErrorOptions & { code?: string; text?: string },
  ) {
    const code = options?.code ?? errnoName(errno);
    const text = options?.text ?? errnoText(errno);
    const shown = args.map((a) => typeof a === "number" ? `fd ${a}` : a).join(", ");
    super(`${call}(${shown}): ${code} (${text})`, EXIT.SYSTEM, options);
    this.call = call;
    this.fds = args.filter((a): a is number => typeof a === "number");
    if (this.fds.length > 0) this.fd = this.fds[0];
    this.errno = errno;
    this.code = code;
  }
}

/**
 * A test hook consulted before every libc call: return an errno to make that call
 * fail with it (without running it), or 0/undefined to let it run.
 */
export type FaultInjector = (call: string, args: readonly CallArg[]) => number | undefined;

let injector: FaultInjector | null = null;

/** Installs (or with `null` removes) the fault injector. Tests only. */
export function setFaultInjector(fn: FaultInjector | null): void {
  injector = fn;
}

let errnoView: Deno.UnsafePointerView | undefined;

/** errno of this thread; valid only right after a failed synchronous call. */
function lastErrno(): number {
  if (errnoView === undefined) {
    const p = libc().__errno_location();
    if (p === null) throw new Error("__errno_location() returned NULL");
    errnoView = new Deno.UnsafePointerView(p);
  }
  return errnoView.getInt32(0);
}

function attempt(
  call: string,
  fn: () => number | bigint,
  args: readonly CallArg[],
  releases = false,
): number {
  const injected = injector?.(call, args);
  if (injected) {
    // close releases the fd even when it reports an error: so must its fault.
    if (releases) fn();
    return -injected;
  }
  const r = Number(fn());
  return r === -1 ? -lastErrno() : r;
}

/**
 * Runs `fn` (a libc call returning -1 on failure), retrying on EINTR; returns its
 * non-negative result or throws {@link SysError} naming `call` and `args`.
 */
export function check(call: string, fn: () => number | bigint, ...args: CallArg[]): number {
  for (;;) {
    const r = attempt(call, fn, args);
    if (r >= 0) return r;
    if (-r !== ERRNO.EINTR) throw new SysError(call, -r, args);
  }
}

/**
 * Like {@link check} but returns `-errno` instead of throwing: for a failure
 * that is an answer (ENOENT of an optional image), not an error. An exception
 * costs a stack and, the first time, binding libc's errno names.
 */
export function tryCall(call: string, fn: () => number | bigint, ...args: CallArg[]): number {
  for (;;) {
    const r = attempt(call, fn, args);
    if (r >= 0 || -r !== ERRNO.EINTR) return r;
  }
}

/**
 * Like {@link check} but never retries: for `close`, where Linux has released the
 * fd even when it reports EINTR, so a retry could close someone else's new fd.
 */
export function checkOnce(call: string, fn: () => number | bigint, ...args: CallArg[]): number {
  const r = attempt(call, fn, args, true);
  if (r >= 0 || -r === ERRNO.EINTR) return Math.max(r, 0);
  throw new SysError(call, -r, args);
}

/** For the posix_spawn family, which returns the error number instead of setting errno. */
export function checkRc(call: string, fn: () => number, ...args: CallArg[]): void {
  const rc = injector?.(call, args) || fn();
  if (rc !== 0) throw new SysError(call, rc, args);
}
