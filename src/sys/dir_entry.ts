/**
 * Calls on one name inside a folder held as an fd: look at it without
 * following it, rename onto it, unlink it, make or remove a folder, a node or a symlink. The folder is never re-walked as a
 * path string, so a folder swapped for a symlink cannot redirect them.
 *
 * @module
 */

import { AT_FDCWD, O } from "./consts.ts";
import { check, ERRNO, SysError } from "./errno.ts";
import { close, fstat, type Stat, tryOpenat } from "./fd.ts";
import { libc } from "./libc.ts";
import { cstr, cstrTemp } from "./structs.ts";

/**
 * True when something (a symlink too: not followed) is at `path`. No exception
 * when nothing is: probing optional images with one took ~4 ms per restore.
 */
export function existsNoFollow(path: string): boolean {
  const fd = tryOpenat(AT_FDCWD, path, O.PATH | O.NOFOLLOW | O.CLOEXEC);
  if (fd >= 0) close(fd);
  if (fd >= 0 || fd === -ERRNO.ENOENT) return fd >= 0;
  // Any other errno (or a stale one: the FFI errno is not always this call's),
  // the runtime's own look decides.
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** What `name` in `dirfd` is, without following a symlink; undefined when absent. */
export function statAt(dirfd: number, name: string): Stat | undefined {
  const fd = tryOpenat(dirfd, name, O.PATH | O.NOFOLLOW | O.CLOEXEC);
  if (fd === -ERRNO.ENOENT) return undefined;
  if (fd < 0) throw new SysError("openat", -fd, [dirfd, name]);
  try {
    return fstat(fd);
  } finally {
    close(fd);
  }
}

/** renameat(2) within one folder: `to` is replaced atomically (a symlink there is not followed). */
export function renameAt(dirfd: number, from: string, to: string): void {
  const c = libc();
  const a = cstr(from); // two paths: the shared scratch buffer holds one
  const b = cstr(to);
  check("renameat", () => c.renameat(dirfd, a, dirfd, b), dirfd, from, to);
}

/** unlinkat(2) of a non-folder name. */
export function unlinkAt(dirfd: number, name: string): void {
  const c = libc();
  const p = cstrTemp(name);
  check("unlinkat", () => c.unlinkat(dirfd, p, 0), dirfd, name);
}

const AT_REMOVEDIR = 0x200;

/** mkdirat(2): the folder `name` in `dirfd` (the umask applies). */
export function mkdirAt(dirfd: number, name: string, mode: number): void {
  const c = libc();
  const p = cstrTemp(name);
  check("mkdirat", () => c.mkdirat(dirfd, p, mode), dirfd, name);
}

/** mknodat(2): a FIFO or device node `name` in `dirfd` (the umask applies). */
export function mknodAt(dirfd: number, name: string, mode: number, dev: bigint): void {
  const c = libc();
  const p = cstrTemp(name);
  check("mknodat", () => c.mknodat(dirfd, p, mode, dev), dirfd, name);
}

/** symlinkat(2): the symlink `name` in `dirfd`, pointing at `target`. */
export function symlinkAt(target: string, dirfd: number, name: string): void {
  const c = libc();
  const t = cstr(target); // two strings: the shared scratch buffer holds one
  const p = cstr(name);
  check("symlinkat", () => c.symlinkat(t, dirfd, p), dirfd, name);
}

/** unlinkat(2) with AT_REMOVEDIR: the empty folder `name` of `dirfd`. */
export function rmdirAt(dirfd: number, name: string): void {
  const c = libc();
  const p = cstrTemp(name);
  check("unlinkat", () => c.unlinkat(dirfd, p, AT_REMOVEDIR), dirfd, name);
}
