/**
 * Inet sockets (CRIU's sk-inet.c without TCP repair): TCP and UDP over IPv4
 * and IPv6, made anew and bound to the dumped address and port, listening
 * or connected (UDP) as they were. A connected TCP socket (established or
 * closing) would need the kernel's repair mode: it is refused by name, or
 * with --tcp-close / --tcp-established made a new socket in the CLOSE state,
 * neither bound nor connected, as criu --tcp-close restores it.
 */
import { FD_TYPE, type FileDesc, type FileOf } from "../model/mod.ts";
import {
  AF,
  bind,
  connect,
  encodeSockaddrIn,
  encodeSockaddrIn6,
  ERRNO,
  IP_FREEBIND,
  IP_TTL,
  IPPROTO,
  IPV6_FREEBIND,
  IPV6_V6ONLY,
  listen,
  setsockoptInt,
  SO,
  SOCK,
  type SockAddrBuf,
  socket,
  SOL_SOCKET,
  SysError,
  TCP,
} from "../sys/mod.ts";
import type { FileOpener, OpenContext, OpenResult } from "./opener.ts";
import { RestoreError, why } from "../restore_error.ts";
import { buildSocket, restoreShutdown, socketParams } from "./socket_opts.ts";
import type { InetSkEntry } from "../image/mod.ts";

const TCP_ESTABLISHED = 1;
const TCP_CLOSE = 7;
const TCP_LISTEN = 10;
const TCP_STATES = [
  "",
  "ESTABLISHED",
  "SYN_SENT",
  "SYN_RECV",
  "FIN_WAIT1",
  "FIN_WAIT2",
  "TIME_WAIT",
  "CLOSE",
  "CLOSE_WAIT",
  "LAST_ACK",
  "LISTEN",
  "CLOSING",
];

/** The address bytes of the stored words (each word is the bytes in memory order). */
export function addrBytes(words: readonly number[]): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  const v = new DataView(out.buffer);
  words.forEach((w, i) => v.setUint32(i * 4, w >>> 0, true));
  return out;
}

/** `127.0.0.1:47001` or `[::1]:47003`. */
export function formatAddr(family: number, words: readonly number[], port: number): string {
  const b = addrBytes(words);
  if (family !== AF.INET6) return `${[...b.subarray(0, 4)].join(".")}:${port}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] << 8) | b[i + 1]).toString(16));
  // Shorten the longest run of zero groups, as inet_ntop does.
  const text = groups.join(":");
  const runs = [...text.matchAll(/(?:^|:)0(?::0)+(?::|$)/g)];
  const best = runs.sort((x, y) => y[0].length - x[0].length)[0];
  const short = best ? text.replace(best[0], "::") : text;
  return `[${short}]:${port}`;
}

function sockaddr(family: number, words: readonly number[], port: number): SockAddrBuf {
  const b = addrBytes(words);
  return family === AF.INET6 ? encodeSockaddrIn6(b, port) : encodeSockaddrIn(b, port);
}

function where(file: FileDesc): string {
  const m = file.fds[0];
  return m ? `fd ${m.fd} of task ${m.task.pid}` : `socket id ${file.id}`;
}

/** Opens one inet socket file (see the module doc). */
export function openInetSocket(ctx: OpenContext, file: FileOf<typeof FD_TYPE.INETSK>): OpenResult {
  const sk = file.payload;
  // Network-order 32-bit words as stored: one for IPv4, four for IPv6.
  const srcAddr = sk.src_addr ?? [];
  const dstAddr = sk.dst_addr ?? [];
  const m = file.fds[0];
  const info = { pid: m?.task.pid, fd: m?.fd, fileId: file.id };
  const local = formatAddr(sk.family, srcAddr, sk.src_port);
  const remote = formatAddr(sk.family, dstAddr, sk.dst_port);
  if (sk.family !== AF.INET && sk.family !== AF.INET6) {
    throw new RestoreError(`${where(file)}: inet socket of family ${sk.family}`, info);
  }
  const tcp = sk.type === SOCK.STREAM;
  const connection = tcp && sk.state !== TCP_LISTEN && sk.state !== TCP_CLOSE;
  if (connection) {
    const state = sk.state === TCP_ESTABLISHED
      ? "established TCP connection"
      : `TCP connection in state ${TCP_STATES[sk.state] ?? sk.state}`;
    const what = `${where(file)}: ${state} ${local} -> ${remote}`;
    const mode = ctx.tcp ?? "refuse";
    if (mode === "refuse") {
      throw new RestoreError(
        `${what}: cannot be restored (pass --tcp-close, or --tcp-established as criu needs; ` +
          `either way it comes back closed)`,
        info,
      );
    }
    const note = `${what} comes back as a new closed socket`;
    if (mode === "established") ctx.log.warn(`${note}: fdrestore has no TCP repair`);
    else ctx.log.info(`${note} (--tcp-close)`);
    return openClosedTcp(ctx, file, sk);
  }
  const fd = socket(sk.family, sk.type | SOCK.CLOEXEC, sk.proto);
  return buildSocket(fd, () => {
    if (sk.family === AF.INET6 && sk.v6only) {
      setsockoptInt(fd, IPPROTO.IPV6, IPV6_V6ONLY, 1);
    }
    // Before bind, like criu: IP_FREEBIND is what lets it take a non-local address.
    restoreIpOpts(fd, sk);
    if (sk.src_port !== 0) {
      // Like criu: bind with SO_REUSEADDR on, then put the dumped value back.
      setsockoptInt(fd, SOL_SOCKET, SO.REUSEADDR, 1);
      try {
        bind(fd, sockaddr(sk.family, srcAddr, sk.src_port));
      } catch (e) {
        const busy = e instanceof SysError && e.errno === ERRNO.EADDRINUSE;
        throw new RestoreError(
          `${where(file)}: cannot bind ${local}: ${busy ? "the port is in use" : why(e)}`,
          info,
          { cause: e },
        );
      }
    }
    setsockoptInt(fd, SOL_SOCKET, SO.REUSEADDR, sk.opts?.reuseaddr ? 1 : 0);
    if (sk.state === TCP_LISTEN) listen(fd, sk.backlog);
    if (!tcp && sk.state === TCP_ESTABLISHED) {
      connect(fd, sockaddr(sk.family, dstAddr, sk.dst_port));
    }
    socketParams(ctx, fd, sk, where(file));
    restoreTcpOpts(fd, sk);
    restoreShutdown(fd, sk.shutdown);
  });
}

/**
 * A connection restored as criu --tcp-close does: a new socket of the same
 * family, neither bound nor connected, with the description's flags, owner
 * and socket options (the connection's own TCP state is gone).
 */
function openClosedTcp(ctx: OpenContext, file: FileDesc, sk: InetSkEntry): number {
  const fd = socket(sk.family, sk.type | SOCK.CLOEXEC, sk.proto);
  return buildSocket(fd, () => {
    if (sk.family === AF.INET6 && sk.v6only) {
      setsockoptInt(fd, IPPROTO.IPV6, IPV6_V6ONLY, 1);
    }
    socketParams(ctx, fd, sk, where(file));
  });
}

/** The IP-level options the image carries: IP_FREEBIND/IPV6_FREEBIND, IP_TTL. */
function restoreIpOpts(fd: number, sk: InetSkEntry): void {
  if (sk.ip_opts?.freebind) {
    if (sk.family === AF.INET6) setsockoptInt(fd, IPPROTO.IPV6, IPV6_FREEBIND, 1);
    else setsockoptInt(fd, IPPROTO.IP, IP_FREEBIND, 1);
  }
  if (sk.family === AF.INET && sk.ip_opts?.ttl) {
    setsockoptInt(fd, IPPROTO.IP, IP_TTL, sk.ip_opts.ttl);
  }
}

/** The TCP options the image carries. */
function restoreTcpOpts(fd: number, sk: InetSkEntry): void {
  if (sk.type !== SOCK.STREAM || !sk.tcp_opts) return;
  const t = sk.tcp_opts;
  if (t.nodelay) setsockoptInt(fd, IPPROTO.TCP, TCP.NODELAY, 1);
  if (t.cork) setsockoptInt(fd, IPPROTO.TCP, TCP.CORK, 1);
  if (t.keepcnt) setsockoptInt(fd, IPPROTO.TCP, TCP.KEEPCNT, t.keepcnt);
  if (t.keepidle) setsockoptInt(fd, IPPROTO.TCP, TCP.KEEPIDLE, t.keepidle);
  if (t.keepintvl) setsockoptInt(fd, IPPROTO.TCP, TCP.KEEPINTVL, t.keepintvl);
}

export const inetSocketOpener: FileOpener<typeof FD_TYPE.INETSK> = {
  type: FD_TYPE.INETSK,
  open: openInetSocket,
};
