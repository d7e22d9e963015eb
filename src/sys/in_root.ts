/**
 * Paths from images are data: with a root other than "/", every lookup of an
 * image path stays inside the root, whatever `..`, absolute symlinks or
 * symlinked parent folders it meets (openat2 with RESOLVE_IN_ROOT, Linux 5.6).
 *
 * @module
 */

import { O } from "./consts.ts";
import { check, checkOnce } from "./errno.ts";
import { libc } from "./libc.ts";
import { alloc, cstr, cstrTemp, view } from "./structs.ts";
import { readlink } from "./fd.ts";

const SYS_OPENAT2 = 437n;
const RESOLVE_IN_ROOT = 0x10n;
const OPEN_HOW_SIZE = 24;

/** openat2(2) with RESOLVE_IN_ROOT: `path` is looked up as if `dirfd` were "/". */
export function openInRootFd(dirfd: number, path: string, flags: number, mode = 0): number {
  const c = libc();
  const how = alloc(OPEN_HOW_SIZE);
  const v = view(how);
  v.setBigUint64(0, BigInt(flags >>> 0), true);
  // The kernel refuses a mode without O_CREAT/O_TMPFILE.
  v.setBigUint64(8, (flags & O.CREAT) !== 0 ? BigInt(mode) : 0n, true);
  v.setBigUint64(16, RESOLVE_IN_ROOT, true);
  const p = cstr(path);
  return check(
    "openat2",
    () => c.openat2(SYS_OPENAT2, BigInt(dirfd), p, how, BigInt(OPEN_HOW_SIZE)),
    dirfd,
    path,
  );
}

/** Opens `path` inside `root` (see {@link openInRootFd}); root "/" is a plain open. */
export function openInRoot(root: string, path: string, flags: number, mode = 0o666): number {
  const c = libc();
  if (isSlash(root)) {
    // An image path counts from the root, never from fdrestore's cwd.
    const p = cstrTemp(path.startsWith("/") ? path : `/${path}`);
    return check("open", () => c.open(p, flags, mode), path);
  }
  // The root itself is the caller's, not the image's: a plain lookup.
  const r = cstr(root);
  const dir = check("open", () => c.open(r, O.PATH | O.DIRECTORY | O.CLOEXEC, 0), root);
  try {
    return openInRootFd(dir, path, flags, mode);
  } finally {
    checkOnce("close", () => c.close(dir), dir);
  }
}

/**
 * The folder of an image path, opened O_PATH inside `root`, and the last
 * component: for an open that must not go through /proc (O_NOFOLLOW makes the
 * kernel refuse that magic link). `name` is undefined for the root itself.
 */
export function openParentInRoot(root: string, path: string): { dir: number; name?: string } {
  const parts = path.split("/").filter((s) => s !== "" && s !== ".");
  const last = parts.at(-1);
  const plain = last !== undefined && last !== "..";
  const folder = "/" + (plain ? parts.slice(0, -1) : parts).join("/");
  const dir = openInRoot(root, folder, O.PATH | O.DIRECTORY | O.CLOEXEC);
  return plain ? { dir, name: last } : { dir };
}

function isSlash(root: string): boolean {
  return /^\/+$/.test(root);
}

/** The real path, inside `root`, of what an image path names (the last component followed). */
export function realPathInRoot(root: string, path: string): string {
  if (isSlash(root)) return path;
  const fd = openInRoot(root, path, O.PATH | O.CLOEXEC);
  try {
    return readlink(`/proc/self/fd/${fd}`);
  } finally {
    checkOnce("close", () => libc().close(fd), fd);
  }
}
