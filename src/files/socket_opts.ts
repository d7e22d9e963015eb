/**
 * Socket options and shutdown state shared by unix and inet sockets
 * (CRIU's restore_socket_opts): buffer sizes, buffer locks, priority, low
 * water mark, mark, the boolean options that are set, linger, timeouts,
 * bound device and socket filter.
 */
import {
  attachFilter,
  closeQuietly,
  ERRNO,
  setsockoptBytes,
  setsockoptInt,
  setsockoptTimeval,
  SHUT,
  shutdown,
  SO,
  type SockFilter,
  SOL_SOCKET,
  SysError,
} from "../sys/mod.ts";
import type { FownEntry, SkOptsEntry } from "../image/mod.ts";
import type { OpenContext } from "./opener.ts";
import { restoreOwner, setStatusFlags } from "./params.ts";
import { restoreBufferSize } from "./socket_bufs.ts";

/** sk_opts_entry as decoded; any field may be absent in what an opener is handed. */
export type SkOpts = Partial<SkOptsEntry>;

/** Boolean options CRIU sets only when they were on. */
const FLAGS: [keyof SkOpts, number][] = [
  ["so_passcred", SO.PASSCRED],
  ["so_passsec", SO.PASSSEC],
  ["so_dontroute", SO.DONTROUTE],
  ["so_no_check", SO.NO_CHECK],
  ["so_broadcast", SO.BROADCAST],
  ["so_keepalive", SO.KEEPALIVE],
  ["so_reuseport", SO.REUSEPORT],
];

/** Applies `opts` to the socket `fd`; `what` names it in warnings. */
export function restoreSocketOpts(
  ctx: OpenContext,
  fd: number,
  opts: SkOpts | undefined,
  what: string,
): void {
  if (!opts) return;
  restoreBufferSize(ctx.log, fd, "send", opts.so_sndbuf, what);
  restoreBufferSize(ctx.log, fd, "receive", opts.so_rcvbuf, what);
  const bufLock = opts.so_buf_lock;
  if (bufLock !== undefined) {
    // Setting a size locked it; the dump says which locks the task had.
    optional(ctx, fd, "SO_BUF_LOCK", () => {
      setsockoptInt(fd, SOL_SOCKET, SO.BUF_LOCK, bufLock);
    });
  }
  if (opts.so_priority !== undefined) {
    setsockoptInt(fd, SOL_SOCKET, SO.PRIORITY, opts.so_priority);
  }
  if (opts.so_rcvlowat !== undefined) {
    setsockoptInt(fd, SOL_SOCKET, SO.RCVLOWAT, opts.so_rcvlowat);
  }
  if (opts.so_mark) setsockoptInt(fd, SOL_SOCKET, SO.MARK, opts.so_mark);
  for (const [field, name] of FLAGS) {
    if (opts[field] === true) setsockoptInt(fd, SOL_SOCKET, name, 1);
  }
  if (opts.so_oobinline) setsockoptInt(fd, SOL_SOCKET, SO.OOBINLINE, 1);
  if (opts.so_linger !== undefined) {
    const linger = new Uint8Array(8);
    const v = new DataView(linger.buffer);
    v.setInt32(0, 1, true);
    v.setInt32(4, opts.so_linger, true);
    setsockoptBytes(fd, SOL_SOCKET, SO.LINGER, linger);
  }
  setTimeout(fd, SO.SNDTIMEO_OLD, opts.so_snd_tmo_sec, opts.so_snd_tmo_usec);
  setTimeout(fd, SO.RCVTIMEO_OLD, opts.so_rcv_tmo_sec, opts.so_rcv_tmo_usec);
  if (opts.so_bound_dev) {
    setsockoptBytes(fd, SOL_SOCKET, SO.BINDTODEVICE, new TextEncoder().encode(opts.so_bound_dev));
  }
  if (opts.so_filter && opts.so_filter.length > 0) {
    attachFilter(fd, opts.so_filter.map(unpackFilter));
  }
}

/** criu stores each `struct sock_filter` as code<<48 | jt<<40 | jf<<32 | k. */
export function unpackFilter(word: bigint | number): SockFilter {
  const w = BigInt.asUintN(64, BigInt(word));
  return {
    code: Number((w >> 48n) & 0xffffn),
    jt: Number((w >> 40n) & 0xffn),
    jf: Number((w >> 32n) & 0xffn),
    k: Number(w & 0xffffffffn),
  };
}

function setTimeout(fd: number, name: number, sec?: bigint, usec?: bigint): void {
  const s = BigInt(sec ?? 0n);
  const u = BigInt(usec ?? 0n);
  // Zero is every new socket's value.
  if (s !== 0n || u !== 0n) setsockoptTimeval(fd, SOL_SOCKET, name, { sec: s, usec: u });
}

/** An option some kernels lack: warn instead of failing. */
function optional(ctx: OpenContext, fd: number, what: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof SysError) || e.errno !== ERRNO.ENOPROTOOPT) throw e;
    ctx.log.warn(`${what} is not supported by this kernel; socket fd ${fd} keeps its default`);
  }
}

/** sk_shutdown in the image: 1 read, 2 write, 3 both. */
export function restoreShutdown(fd: number, how: number | undefined): void {
  const map: Record<number, number> = { 1: SHUT.RD, 2: SHUT.WR, 3: SHUT.RDWR };
  const mode = map[how ?? 0];
  if (mode !== undefined) shutdown(fd, mode);
}

/** What every socket entry carries for {@link socketParams}. */
export interface SocketParams {
  flags: number;
  fown?: FownEntry;
  opts?: SkOpts;
}

/**
 * Runs `build` on the new socket `fd` and returns `fd`, or closes it and
 * rethrows: every socket opener's open ends this way.
 */
export function buildSocket(fd: number, build: () => void): number {
  try {
    build();
  } catch (e) {
    closeQuietly(fd);
    throw e;
  }
  return fd;
}

/** Status flags and owner, then socket options, in criu's order (rst_file_params first). */
export function socketParams(ctx: OpenContext, fd: number, sk: SocketParams, what: string): void {
  setStatusFlags(fd, Number(sk.flags ?? 0));
  restoreOwner(ctx, fd, sk.fown);
  restoreSocketOpts(ctx, fd, sk.opts, what);
}
