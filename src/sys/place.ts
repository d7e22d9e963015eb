/**
 * A name inside a folder that was resolved once, inside the root: every call
 * that follows (open, link, unlink, chown, chmod, bind) goes through the
 * folder's O_PATH descriptor, never through the path string again. Swapping
 * a folder of the path for a symlink after the lookup changes nothing.
 *
 * @module
 */
import { AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_FOLLOW, O, RENAME_EXCHANGE } from "./consts.ts";
import { check, ERRNO, SysError } from "./errno.ts";
import { close, openat, type Stat } from "./fd.ts";
import { openInRoot } from "./in_root.ts";
import { statAt } from "./dir_entry.ts";
import { libc } from "./libc.ts";
import { cstr } from "./structs.ts";

export interface Place {
  /** O_PATH descriptor of the folder (close with {@link closePlace}). */
  readonly dir: number;
  /** The last component: never empty, "." or "..". */
  readonly name: string;
  /** The path as the image has it, for messages. */
  readonly path: string;
}

/**
 * Resolves the folder of `path` inside `root` (a relative path counts from
 * the root, never from the cwd) and keeps it open.
 */
export function openPlace(root: string, path: string): Place {
  const parts = path.split("/").filter((s) => s !== "");
  const name = parts.pop();
  if (name === undefined || name === "." || name === "..") {
    throw new SysError("open", ERRNO.EINVAL, [path], { text: "no file name at the end" });
  }
  const dir = openInRoot(root, "/" + parts.join("/"), O.PATH | O.DIRECTORY | O.CLOEXEC);
  return { dir, name, path };
}

export function closePlace(p: Place): void {
  close(p.dir);
}

/** What the name is now, without following a symlink; undefined when nothing is there. */
export function statPlace(p: Place): Stat | undefined {
  return statAt(p.dir, p.name);
}

/** openat(2) of the name in its folder. */
export function openAt(p: Place, flags: number, mode = 0o600): number {
  return openat(p.dir, p.name, flags, mode);
}

/** unlinkat(2) of the name in its folder. */
export function unlinkPlace(p: Place): void {
  const c = libc();
  const n = cstr(p.name);
  check("unlinkat", () => c.unlinkat(p.dir, n, 0), p.dir, p.path);
}

/**
 * Removes the name only while it still names the inode `was` (dev, ino):
 * never a file someone put there since.
 */
export function unlinkIfSame(p: Place, was: Pick<Stat, "dev" | "ino">): boolean {
  const now = statPlace(p);
  if (!now || now.dev !== was.dev || now.ino !== was.ino) return false;
  unlinkPlace(p);
  return true;
}

/** Gives the inode behind `fd` (any descriptor, O_PATH included) the name `p`. */
export function linkFdAt(fd: number, p: Place): void {
  const c = libc();
  const from = cstr(`/proc/self/fd/${fd}`);
  const to = cstr(p.name);
  check("linkat", () => c.linkat(AT_FDCWD, from, p.dir, to, AT_SYMLINK_FOLLOW), fd, p.path);
}

/** The name as a path the kernel resolves through the held folder (bind, connect). */
export function procPathOf(p: Place): string {
  return `/proc/self/fd/${p.dir}/${p.name}`;
}

/** chown of the inode behind `fd` (O_PATH works): fchownat with AT_EMPTY_PATH. */
export function fchownFd(fd: number, uid: number, gid: number): void {
  const c = libc();
  const empty = cstr("");
  check("fchownat", () => c.fchownat(fd, empty, uid >>> 0, gid >>> 0, AT_EMPTY_PATH), fd);
}

/** chmod of the inode behind `fd` (O_PATH works): through its /proc/self/fd link. */
export function fchmodFd(fd: number, mode: number): void {
  const c = libc();
  const p = cstr(`/proc/self/fd/${fd}`);
  check("fchmodat", () => c.fchmodat(AT_FDCWD, p, mode, 0), fd, `0${mode.toString(8)}`);
}

/** Runs `fn` with the working directory at the folder `dir` (a descriptor), then goes back. */
export function inFolder<T>(dir: number, fn: () => T): T {
  const c = libc();
  const back = openat(AT_FDCWD, ".", O.PATH | O.DIRECTORY | O.CLOEXEC);
  try {
    check("fchdir", () => c.fchdir(dir), dir);
    try {
      return fn();
    } finally {
      check("fchdir", () => c.fchdir(back), back);
    }
  } finally {
    close(back);
  }
}

/** renameat2(2): RENAME_NOREPLACE never replaces a file; RENAME_EXCHANGE swaps two names. */
export function renameAt2(dirA: number, a: string, dirB: number, b: string, flags: number): void {
  const c = libc();
  const fn = c.renameat2;
  if (!fn) throw new SysError("renameat2", ERRNO.ENOSYS, [a, b]);
  const pa = cstr(a);
  const pb = cstr(b);
  check("renameat2", () => fn(dirA, pa, dirB, pb, flags), dirA, a, b);
}

/** Swaps two names atomically (tests race with it). */
export function exchange(dirA: number, a: string, dirB: number, b: string): void {
  renameAt2(dirA, a, dirB, b, RENAME_EXCHANGE);
}
