/**
 * Socket buffer sizes without needing root where root changes nothing.
 *
 * criu sets them with SO_SNDBUFFORCE/SO_RCVBUFFORCE, which need CAP_NET_ADMIN.
 * The plain SO_SNDBUF/SO_RCVBUF give the same size (the kernel doubles the
 * value, at least its minimum) unless the value exceeds net.core.wmem_max /
 * rmem_max, where they stop. So the plain option goes first; only a size it
 * capped is forced, and where forcing is not permitted the capped size stays.
 */
import type { Logger } from "../log.ts";
import { ERRNO, getsockoptInt, setsockoptInt, SO, SOL_SOCKET, SysError } from "../sys/mod.ts";

/** A socket's two buffers: the plain and the forcing option, the sysctl that caps the plain one. */
const BUFFERS = {
  send: { plain: SO.SNDBUF, force: SO.SNDBUFFORCE, forceName: "SO_SNDBUFFORCE", cap: "wmem_max" },
  receive: {
    plain: SO.RCVBUF,
    force: SO.RCVBUFFORCE,
    forceName: "SO_RCVBUFFORCE",
    cap: "rmem_max",
  },
} as const;
export type SocketBuffer = keyof typeof BUFFERS;

/** The kernel doubles a size in an int: what it keeps of `value` is at most this, halved. */
const INT_HALF = 0x3fffffff;

/**
 * Gives `fd`'s `which` buffer the size a forced `value` gives (the kernel
 * doubles it). Returns undefined when it has that size; otherwise (forcing not
 * permitted: EPERM) the size it has, capped by net.core.wmem_max/rmem_max.
 */
export function setBufferSize(
  fd: number,
  which: SocketBuffer,
  value: number,
): number | undefined {
  const b = BUFFERS[which];
  setsockoptInt(fd, SOL_SOCKET, b.plain, value);
  const got = getsockoptInt(fd, SOL_SOCKET, b.plain);
  if (got >= 2 * Math.min(value, INT_HALF)) return undefined; // not capped
  try {
    setsockoptInt(fd, SOL_SOCKET, b.force, value);
    return undefined;
  } catch (e) {
    if (e instanceof SysError && e.errno === ERRNO.EPERM) return got;
    throw e;
  }
}

/**
 * Restores a buffer from `size` as dumped (already doubled); where forcing it
 * is not permitted, warns naming the size and keeps what the cap allows.
 */
export function restoreBufferSize(
  log: Logger,
  fd: number,
  which: SocketBuffer,
  size: number | undefined,
  what: string,
): void {
  if (!size) return;
  const got = setBufferSize(fd, which, size >>> 1);
  if (got === undefined) return;
  const b = BUFFERS[which];
  log.warn(
    `${what}: a ${which} buffer of ${size} bytes needs CAP_NET_ADMIN (${b.forceName}); ` +
      `it keeps ${got}, what net.core.${b.cap} allows`,
  );
}
