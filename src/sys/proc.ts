/**
 * Process-wide calls: umask, chdir, chroot, rlimits, prctl, getpid, geteuid, pidfd_open, kill,
 * waitpid.
 *
 * @module
 */

import { WNOHANG } from "./consts.ts";
import { check } from "./errno.ts";
import { libc } from "./libc.ts";
import { alloc, cstr, decodeRlimit, encodeRlimit, type Rlimit, SIZEOF, view } from "./structs.ts";

export type { Rlimit };

/** umask(2): sets the mask, returns the previous one (cannot fail). */
export function umask(mask: number): number {
  return libc().umask(mask);
}

/** chdir(2). */
export function chdir(path: string): void {
  const c = libc();
  const p = cstr(path);
  check("chdir", () => c.chdir(p), path);
}

/** chroot(2). */
export function chroot(path: string): void {
  const c = libc();
  const p = cstr(path);
  check("chroot", () => c.chroot(p), path);
}

/** getrlimit through prlimit(2) on pid 0 (this process). */
export function getrlimit(resource: number): Rlimit {
  return prlimit(0, resource);
}

/** setrlimit through prlimit(2); returns the previous limits. */
export function setrlimit(resource: number, limit: Rlimit): Rlimit {
  return prlimit(0, resource, limit);
}

/** prlimit(2): reads (and with `limit`, sets) a resource limit of `pid` (0 = self). */
export function prlimit(pid: number, resource: number, limit?: Rlimit): Rlimit {
  const c = libc();
  const next = limit ? encodeRlimit(limit) : null;
  const old = alloc(SIZEOF.rlimit);
  check("prlimit", () => c.prlimit(pid, resource, next, old), `pid ${pid}`, `resource ${resource}`);
  return decodeRlimit(old);
}

/** prctl(2) with up to four unsigned long arguments. */
export function prctl(option: number, a2 = 0n, a3 = 0n, a4 = 0n, a5 = 0n): number {
  const c = libc();
  return check("prctl", () => c.prctl(option, a2, a3, a4, a5), `option ${option}`);
}

/** getpid(2). */
export function getpid(): number {
  return libc().getpid();
}

/** geteuid(2): the effective uid, the owner of the files this process creates. */
export function geteuid(): number {
  return libc().geteuid();
}

/** The number of pidfd_open(2) (one number on every architecture since Linux 5.3). */
const SYS_PIDFD_OPEN = 434n;

/** pidfd_open(2): a new description referring to process `pid` (O_CLOEXEC is implied). */
export function pidfdOpen(pid: number, flags: number): number {
  const c = libc();
  return check(
    "pidfd_open",
    () => c.pidfd_open(SYS_PIDFD_OPEN, BigInt(pid), BigInt(flags >>> 0)),
    `pid ${pid}`,
  );
}

/** kill(2). */
export function kill(pid: number, sig: number): void {
  const c = libc();
  check("kill", () => c.kill(pid, sig), `pid ${pid}`, `signal ${sig}`);
}

/** How a child ended; `exited` false with `nohang` means it is still running. */
export interface WaitStatus {
  /** The child has terminated (normally or by a signal). */
  exited: boolean;
  /** Exit code when it exited normally, else null. */
  code: number | null;
  /** The terminating signal, else null. */
  signal: number | null;
}

/**
 * waitpid(2) for one pid (never -1: that would steal children Deno.Command
 * tracks). Blocking waits block the event loop; prefer a SIGCHLD listener with
 * `nohang`. Stopped/continued reports are not requested.
 */
export function waitpid(pid: number, options: { nohang?: boolean } = {}): WaitStatus {
  const c = libc();
  const st = alloc(4);
  const flags = options.nohang ? WNOHANG : 0;
  const r = check("waitpid", () => c.waitpid(pid, st, flags), `pid ${pid}`);
  if (r === 0) return { exited: false, code: null, signal: null };
  const s = view(st).getInt32(0, true);
  const termsig = s & 0x7f;
  return termsig === 0
    ? { exited: true, code: (s >> 8) & 0xff, signal: null }
    : { exited: true, code: null, signal: termsig };
}
