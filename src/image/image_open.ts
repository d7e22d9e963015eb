/**
 * Reading an image's bytes without trusting what sits at its path. criu
 * writes every image as a regular file, so anything else is refused before a
 * byte is read: the open uses O_NOFOLLOW (a symlink to /dev/zero is not
 * followed) and O_NONBLOCK (a FIFO cannot block it), the fd must be a regular
 * file, and at most its size at open is read (a growing file cannot grow
 * memory). Only stdin, when asked for, may also be a pipe.
 */
import { basename } from "../sys/path.ts";
import { AT_FDCWD, O, S_IF } from "../sys/consts.ts";
import { ERRNO, SysError } from "../sys/errno.ts";
import { close, fstat, read, tryOpenat } from "../sys/fd.ts";
import { ImageError } from "./image_error.ts";

/** The input name that means stdin (`decode -i -`, or no -i at all). */
export const STDIN = "-";

const KIND: Record<number, string> = {
  [S_IF.FIFO]: "a FIFO",
  [S_IF.CHR]: "a character device",
  [S_IF.DIR]: "a directory",
  [S_IF.BLK]: "a block device",
  [S_IF.LNK]: "a symbolic link",
  [S_IF.SOCK]: "a socket",
};

/** The bytes of the image at `path` ({@link STDIN}: fd 0); undefined with `missingOk` when absent. */
export function readImageBytes(path: string): Uint8Array;
export function readImageBytes(path: string, missingOk: true): Uint8Array | undefined;
export function readImageBytes(path: string, missingOk = false): Uint8Array | undefined {
  if (path === STDIN) return readStdin();
  const image = openImage(path, missingOk);
  if (image === undefined) return undefined;
  try {
    return readUpTo(image.fd, path, image.size);
  } finally {
    close(image.fd);
  }
}

/**
 * Opens the image at `path` and checks that it is a regular file: its fd (the
 * caller closes it) and its size. Undefined with `missingOk` when absent.
 */
export function openImage(path: string): { fd: number; size: number };
export function openImage(
  path: string,
  missingOk: boolean,
): { fd: number; size: number } | undefined;
export function openImage(
  path: string,
  missingOk = false,
): { fd: number; size: number } | undefined {
  // An optional image that is absent is an answer, not an exception.
  const fd = tryOpenat(AT_FDCWD, path, O.RDONLY | O.NOFOLLOW | O.NONBLOCK | O.CLOEXEC);
  if (fd < 0) {
    if (missingOk && (fd === -ERRNO.ENOENT || absent(path))) return undefined;
    const e = new SysError("open", -fd, [path]);
    // ELOOP: the last component is a symlink (O_NOFOLLOW).
    if (e.errno === ERRNO.ELOOP) throw imageReadError(path, notRegular(path, S_IF.LNK), e);
    throw imageOrSysError(path, e);
  }
  try {
    const st = fstat(fd);
    if ((st.mode & S_IF.MT) !== S_IF.REG) throw imageReadError(path, notRegular(path, st.mode));
    return { fd, size: Number(st.size) };
  } catch (e) {
    close(fd);
    throw e;
  }
}

/**
 * A second, errno-free look: the errno read after a failed FFI call was seen
 * stale now and then (EAGAIN from the runtime's own non-blocking calls on the
 * same thread), which turned a missing optional image into an error.
 */
function absent(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return false;
  } catch (e) {
    return e instanceof Deno.errors.NotFound;
  }
}

/** stdin as crit reads it: a regular file or a pipe, to its end. */
function readStdin(): Uint8Array {
  let st;
  try {
    st = fstat(0);
  } catch (e) {
    throw imageReadError("stdin", "stdin is closed", e);
  }
  const type = st.mode & S_IF.MT;
  if (type === S_IF.REG) return readUpTo(0, "stdin", Number(st.size));
  if (type !== S_IF.FIFO && type !== S_IF.SOCK) {
    throw imageReadError("stdin", notRegular("stdin", st.mode));
  }
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const chunk = new Uint8Array(1 << 20);
    const n = readSome(0, "stdin", chunk);
    if (n === 0) break;
    parts.push(chunk.subarray(0, n));
    total += n;
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Up to `size` bytes from `fd` (fewer when the file shrank). */
function readUpTo(fd: number, path: string, size: number): Uint8Array {
  const buf = new Uint8Array(size);
  let got = 0;
  while (got < size) {
    const n = readSome(fd, path, buf.subarray(got));
    if (n === 0) break;
    got += n;
  }
  return got === size ? buf : buf.subarray(0, got);
}

function readSome(fd: number, path: string, into: Uint8Array<ArrayBuffer>): number {
  try {
    return read(fd, into);
  } catch (e) {
    if (!(e instanceof SysError)) throw e;
    if (e.errno === ERRNO.EAGAIN) return waitReadable(fd, path, into);
    throw imageOrSysError(path, e);
  }
}

/** A pipe on stdin left non-blocking by its writer: wait for it as a blocking read would. */
function waitReadable(fd: number, path: string, into: Uint8Array<ArrayBuffer>): number {
  for (let delay = 1;; delay = Math.min(delay * 2, 50)) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, delay);
    try {
      return read(fd, into);
    } catch (e) {
      if (!(e instanceof SysError)) throw e;
      if (e.errno !== ERRNO.EAGAIN) throw imageOrSysError(path, e);
    }
  }
}

function notRegular(path: string, mode: number): string {
  const what = KIND[mode & S_IF.MT] ?? "not a regular file";
  return `${path === "stdin" ? "stdin" : "the image"} is ${what}, not a regular file` +
    (path === "stdin" ? " or a pipe" : " (criu writes images as regular files)");
}

/** "ENOENT (No such file or directory)", without the call (its path is the image). */
function sysText(e: SysError): string {
  return e.message.slice(e.message.indexOf("): ") + 3);
}

/** What the image itself explains (missing, unreadable); the rest (EMFILE...) is the system's. */
const IMAGE_ERRNOS: readonly number[] = [
  ERRNO.ENOENT,
  ERRNO.EACCES,
  ERRNO.EPERM,
  ERRNO.EIO,
  ERRNO.EISDIR,
  ERRNO.ENXIO,
  ERRNO.ENODEV,
];

/** An ImageError naming the image, or the SysError itself (exit 5) for a system limit. */
function imageOrSysError(path: string, e: SysError): Error {
  return IMAGE_ERRNOS.includes(e.errno) ? imageReadError(path, sysText(e), e) : e;
}

function imageReadError(path: string, why: string, cause?: unknown): ImageError {
  return new ImageError(`cannot read ${basename(path)}: ${why}`, {
    image: path,
    entry: -1,
    offset: 0,
  }, { cause });
}
