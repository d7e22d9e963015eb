/**
 * `src/sys`: libc through `Deno.dlopen` — the only place that touches pointers
 * and struct layouts. Every wrapper checks its result and throws {@link SysError}
 * (`fstat(fd 7): EBADF (Bad file descriptor)`); EINTR is retried. Needs
 * `--allow-ffi`.
 *
 * ```ts
 * import { dupAbove, fstat } from "./src/sys/mod.ts";
 * const staged = dupAbove(0, 1000); // a close-on-exec copy of stdin at >= 1000
 * console.log(fstat(staged).ino);
 * ```
 *
 * @module
 */

export * from "./consts.ts";
export {
  type CallArg,
  ERRNO,
  errnoName,
  errnoText,
  type FaultInjector,
  setFaultInjector,
  SysError,
} from "./errno.ts";
export * from "./fd.ts";
export {
  existsNoFollow,
  mkdirAt,
  mknodAt,
  renameAt,
  rmdirAt,
  statAt,
  symlinkAt,
  unlinkAt,
} from "./dir_entry.ts";
export { openInRoot, openInRootFd, openParentInRoot, realPathInRoot } from "./in_root.ts";
export * from "./place.ts";
export * from "./kinds.ts";
export * from "./proc.ts";
export * from "./signals.ts";
export * from "./socket.ts";
export * from "./move.ts";
export * from "./at_number.ts";
export * from "./spawn.ts";
export { type ExecOptions, execWithFds } from "./exec.ts";
export * from "./locks.ts";
export {
  encodeSockaddrIn,
  encodeSockaddrIn6,
  encodeSockaddrUn,
  encodeSockaddrUnspec,
  OFFSETOF,
  RLIM_INFINITY,
  SIZEOF,
} from "./structs.ts";
export * from "./tty.ts";
export * from "./link_socket.ts";
