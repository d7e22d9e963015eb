/**
 * The one mask between an image's `flags` and an open(2) call. A dumped
 * f_flags never holds O_CREAT, O_EXCL, O_TRUNC or O_TMPFILE (the kernel does
 * not keep them), so from an image they are hostile: they would create,
 * truncate or make an unnamed file. Close-on-exec is the scheduler's, not
 * the image's. Every opener that opens a file by path or by /proc/self/fd
 * (reg, link remap, ghost, FIFO, memfd, tty, pipe reopen) goes through here.
 */
import { O } from "../sys/mod.ts";

/** Bits an image may never pass to open(2). */
export const NEVER_FROM_IMAGE = O.CREAT | O.EXCL | O.TRUNC | O.TMPFILE | O.CLOEXEC;

/** The flags an image's file is opened with: its own, minus {@link NEVER_FROM_IMAGE}. */
export function imageOpenFlags(flags: number): number {
  return flags & ~NEVER_FROM_IMAGE;
}
