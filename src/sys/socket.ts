/**
 * Socket calls and fd passing with SCM_RIGHTS.
 *
 * Wire rule of {@link sendFds}: Linux carries at most SCM_MAX_FD (253) fds per
 * message, so a larger batch goes as several messages. A message with exactly
 * 253 fds means "more of this batch follows" and carries one filler byte; the
 * last message (fewer than 253 fds, possibly none) carries the data. Data is
 * never empty on the wire (a stream socket cannot carry fds without a byte), so
 * empty data arrives as one NUL byte.
 *
 * @module
 */

import { MSG, SCM_MAX_FD, SCM_RIGHTS, sockoptName, SOL_SOCKET } from "./consts.ts";
import { check, ERRNO, SysError } from "./errno.ts";
import { close } from "./fd.ts";
import { libc } from "./libc.ts";
import {
  addressOf,
  alloc,
  cmsgLen,
  cmsgSpace,
  decodeMsghdrResult,
  decodeSockaddrInet,
  decodeSockaddrUn,
  decodeTimeval,
  encodeMsghdr,
  encodeSockaddrUnspec,
  encodeTimeval,
  type InetAddr,
  parseCmsgs,
  setCmsghdr,
  setIovec,
  SIZEOF,
  type SockAddrBuf,
  type UnixName,
  view,
} from "./structs.ts";

export type { InetAddr, SockAddrBuf, UnixName };

/** socket(2). */
export function socket(domain: number, type: number, protocol = 0): number {
  const c = libc();
  return check("socket", () => c.socket(domain, type, protocol), `domain ${domain}`);
}

/** socketpair(2). */
export function socketpair(domain: number, type: number, protocol = 0): [number, number] {
  const c = libc();
  const sv = alloc(8);
  check("socketpair", () => c.socketpair(domain, type, protocol, sv), `domain ${domain}`);
  const v = view(sv);
  return [v.getInt32(0, true), v.getInt32(4, true)];
}

/** bind(2) to an address built by `encodeSockaddr*`. */
export function bind(fd: number, addr: SockAddrBuf): void {
  const c = libc();
  check("bind", () => c.bind(fd, addr.buf, addr.len), fd);
}

/** listen(2). */
export function listen(fd: number, backlog: number): void {
  const c = libc();
  check("listen", () => c.listen(fd, backlog), fd);
}

/** connect(2). */
export function connect(fd: number, addr: SockAddrBuf): void {
  const c = libc();
  check("connect", () => c.connect(fd, addr.buf, addr.len), fd);
}

/** shutdown(2). */
export function shutdown(fd: number, how: number): void {
  const c = libc();
  check("shutdown", () => c.shutdown(fd, how), fd);
}

/** setsockopt(2) with an int value. */
export function setsockoptInt(fd: number, level: number, name: number, value: number): void {
  const c = libc();
  const buf = alloc(4);
  view(buf).setInt32(0, value, true);
  check("setsockopt", () => c.setsockopt(fd, level, name, buf, 4), fd, sockoptName(level, name));
}

/** getsockopt(2) of an int value. */
export function getsockoptInt(fd: number, level: number, name: number): number {
  const c = libc();
  const buf = alloc(4);
  const len = alloc(4);
  view(len).setUint32(0, 4, true);
  check("getsockopt", () => c.getsockopt(fd, level, name, buf, len), fd, sockoptName(level, name));
  return view(buf).getInt32(0, true);
}

/** getsockname(2) of a unix socket. */
export function getsocknameUnix(fd: number): UnixName {
  const c = libc();
  const buf = alloc(SIZEOF.sockaddr_un);
  const len = alloc(4);
  view(len).setUint32(0, SIZEOF.sockaddr_un, true);
  check("getsockname", () => c.getsockname(fd, buf, len), fd);
  return decodeSockaddrUn(buf, view(len).getUint32(0, true));
}

/** getpeername(2) of a unix socket. */
export function getpeernameUnix(fd: number): UnixName {
  const c = libc();
  const buf = alloc(SIZEOF.sockaddr_un);
  const len = alloc(4);
  view(len).setUint32(0, SIZEOF.sockaddr_un, true);
  check("getpeername", () => c.getpeername(fd, buf, len), fd);
  return decodeSockaddrUn(buf, view(len).getUint32(0, true));
}

/** getsockname(2) of an AF_INET or AF_INET6 socket. */
export function getsocknameInet(fd: number): InetAddr {
  const c = libc();
  const buf = alloc(SIZEOF.sockaddr_in6);
  const len = alloc(4);
  view(len).setUint32(0, SIZEOF.sockaddr_in6, true);
  check("getsockname", () => c.getsockname(fd, buf, len), fd);
  return decodeSockaddrInet(buf);
}

/** getpeername(2) of an AF_INET or AF_INET6 socket. */
export function getpeernameInet(fd: number): InetAddr {
  const c = libc();
  const buf = alloc(SIZEOF.sockaddr_in6);
  const len = alloc(4);
  view(len).setUint32(0, SIZEOF.sockaddr_in6, true);
  check("getpeername", () => c.getpeername(fd, buf, len), fd);
  return decodeSockaddrInet(buf);
}

/** connect(2) to AF_UNSPEC: a datagram socket forgets its peer. */
export function disconnect(fd: number): void {
  connect(fd, encodeSockaddrUnspec());
}

/** setsockopt(2) with a raw value (struct linger, sock_fprog, device name...). */
export function setsockoptBytes(fd: number, level: number, name: number, value: Uint8Array): void {
  const c = libc();
  const buf = alloc(value.byteLength);
  buf.set(value);
  check(
    "setsockopt",
    () => c.setsockopt(fd, level, name, buf, buf.byteLength),
    fd,
    sockoptName(level, name),
  );
}

/** setsockopt(2) of a `struct timeval` (SO_SNDTIMEO_OLD, SO_RCVTIMEO_OLD). */
export function setsockoptTimeval(
  fd: number,
  level: number,
  name: number,
  tv: { sec: bigint; usec: bigint },
): void {
  setsockoptBytes(fd, level, name, encodeTimeval(tv.sec, tv.usec));
}

/** getsockopt(2) of a `struct timeval`. */
export function getsockoptTimeval(
  fd: number,
  level: number,
  name: number,
): { sec: bigint; usec: bigint } {
  const c = libc();
  const buf = alloc(16);
  const len = alloc(4);
  view(len).setUint32(0, 16, true);
  check("getsockopt", () => c.getsockopt(fd, level, name, buf, len), fd, sockoptName(level, name));
  return decodeTimeval(buf);
}

/** One classic BPF instruction: `struct sock_filter` (8 bytes). */
export interface SockFilter {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

const SO_ATTACH_FILTER = 26; // also SO_GET_FILTER

/** SO_ATTACH_FILTER: attaches the classic BPF program `prog` to socket `fd`. */
export function attachFilter(fd: number, prog: readonly SockFilter[]): void {
  const c = libc();
  const insns = alloc(prog.length * 8);
  const iv = view(insns);
  prog.forEach((ins, i) => {
    iv.setUint16(i * 8, ins.code, true);
    iv.setUint8(i * 8 + 2, ins.jt);
    iv.setUint8(i * 8 + 3, ins.jf);
    iv.setUint32(i * 8 + 4, ins.k >>> 0, true);
  });
  const fprog = alloc(16); // struct sock_fprog { u16 len; struct sock_filter *filter; }
  const fv = view(fprog);
  fv.setUint16(0, prog.length, true);
  fv.setBigUint64(8, addressOf(insns), true);
  check(
    "setsockopt",
    () => c.setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, fprog, 16),
    fd,
    "SO_ATTACH_FILTER",
  );
  void insns; // alive until here: fprog holds its address
}

/** SO_GET_FILTER: the classic BPF program attached to `fd` (empty when none). */
export function getFilter(fd: number): SockFilter[] {
  const c = libc();
  const len = alloc(4);
  // With a zero length the kernel answers the number of instructions.
  const count = () => c.getsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, null, len);
  check("getsockopt", count, fd, "SO_GET_FILTER");
  const n = view(len).getUint32(0, true);
  if (n === 0) return [];
  const buf = alloc(n * 8);
  view(len).setUint32(0, n, true); // in instructions, not bytes
  check(
    "getsockopt",
    () => c.getsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, buf, len),
    fd,
    "SO_GET_FILTER",
  );
  const v = view(buf);
  return Array.from({ length: view(len).getUint32(0, true) }, (_, i) => ({
    code: v.getUint16(i * 8, true),
    jt: v.getUint8(i * 8 + 2),
    jf: v.getUint8(i * 8 + 3),
    k: v.getUint32(i * 8 + 4, true),
  }));
}

/**
 * Sends one message of exactly `data` (possibly empty) with `fds` in one
 * SCM_RIGHTS control message (at most 253), unlike {@link sendFds}, which
 * frames batches. Returns the bytes sent (a stream socket may take fewer).
 */
export function sendPacket(sock: number, data: Uint8Array, fds: readonly number[] = []): number {
  if (fds.length > SCM_MAX_FD) {
    throw new RangeError(`one message carries at most ${SCM_MAX_FD} fds, got ${fds.length}`);
  }
  const payload = alloc(data.byteLength);
  payload.set(data);
  return sendOne(sock, fds, payload);
}

/** One sendmsg with `fds` in an SCM_RIGHTS message; returns the bytes sent. */
function sendOne(sock: number, fds: readonly number[], data: Uint8Array<ArrayBuffer>): number {
  const c = libc();
  const iov = alloc(SIZEOF.iovec);
  setIovec(view(iov), 0, addressOf(data), data.byteLength);
  let control: Uint8Array<ArrayBuffer> | undefined;
  if (fds.length > 0) {
    control = alloc(cmsgSpace(4 * fds.length));
    const v = view(control);
    setCmsghdr(v, 0, cmsgLen(4 * fds.length), SOL_SOCKET, SCM_RIGHTS);
    fds.forEach((fd, i) => v.setInt32(SIZEOF.cmsghdr + 4 * i, fd, true));
  }
  const msg = encodeMsghdr({ iov, iovlen: 1, control });
  const n = check("sendmsg", () => c.sendmsg(sock, msg, MSG.NOSIGNAL), sock, ...fds);
  void [iov, control, data]; // alive until here: C read their addresses
  return n;
}

/**
 * Sends `fds` (any count, chunked by 253) and `data` over a unix socket. The fds
 * stay open here; the receiver gets new fds for the same files.
 */
export function sendFds(sock: number, fds: readonly number[], data?: Uint8Array): void {
  const chunks: number[][] = [];
  for (let i = 0; i < fds.length; i += SCM_MAX_FD) chunks.push(fds.slice(i, i + SCM_MAX_FD));
  if (chunks.length === 0 || chunks[chunks.length - 1].length === SCM_MAX_FD) chunks.push([]);
  const payload = alloc(Math.max(data?.byteLength ?? 0, 1));
  if (data) payload.set(data);
  const filler = alloc(1);
  chunks.forEach((chunk, i) => {
    if (i < chunks.length - 1) return void sendOne(sock, chunk, filler);
    let sent = sendOne(sock, chunk, payload);
    // A stream socket may take the data in parts; the fds went with the first.
    while (sent < payload.byteLength) sent += sendOne(sock, [], payload.subarray(sent));
  });
}

/** What {@link recvFds} received. */
export interface Received {
  /** New fds (close-on-exec) in the order they were sent. */
  fds: number[];
  /** The data of the last message; empty at end of stream. */
  data: Uint8Array;
}

function closeAll(fds: readonly number[]): void {
  for (const fd of fds) {
    try {
      close(fd);
    } catch { /* best effort: we are already failing */ }
  }
}

/**
 * Receives one batch sent by {@link sendFds}: up to `maxFds` fds and `maxData`
 * bytes. Fds arrive close-on-exec (MSG_CMSG_CLOEXEC). Truncated control data
 * (MSG_CTRUNC: the kernel dropped fds), too many fds or truncated data throw
 * after closing what arrived. With `nonblock`, returns null when nothing is
 * queued (later messages of a batch are waited for as the socket allows).
 * A blocking socket blocks the whole event loop here.
 */
export function recvFds(
  sock: number,
  maxFds: number,
  maxData: number,
  options: { nonblock?: boolean } = {},
): Received | null {
  const c = libc();
  const got: number[] = [];
  for (let first = true;; first = false) {
    const room = Math.min(SCM_MAX_FD, Math.max(1, maxFds - got.length));
    const control = alloc(cmsgSpace(4 * room));
    const data = alloc(Math.max(maxData, 1));
    const iov = alloc(SIZEOF.iovec);
    setIovec(view(iov), 0, addressOf(data), data.byteLength);
    const msg = encodeMsghdr({ iov, iovlen: 1, control });
    const flags = MSG.CMSG_CLOEXEC | (first && options.nonblock ? MSG.DONTWAIT : 0);
    let n: number;
    try {
      n = check("recvmsg", () => c.recvmsg(sock, msg, flags), sock);
    } catch (e) {
      closeAll(got);
      if (first && e instanceof SysError && e.errno === ERRNO.EAGAIN) return null;
      throw e;
    }
    void iov; // alive until here: msg holds its address
    const result = decodeMsghdrResult(msg);
    let inMessage = 0;
    for (const cm of parseCmsgs(control, result.controllen)) {
      if (cm.level !== SOL_SOCKET || cm.type !== SCM_RIGHTS) continue;
      const dv = new DataView(cm.data.buffer, cm.data.byteOffset, cm.data.byteLength);
      for (let off = 0; off + 4 <= cm.data.byteLength; off += 4) got.push(dv.getInt32(off, true));
      inMessage += cm.data.byteLength >> 2;
    }
    const fail = (code: string, text: string): never => {
      closeAll(got);
      throw new SysError("recvmsg", 0, [sock], { code, text });
    };
    if (result.flags & MSG.CTRUNC) {
      fail("MSG_CTRUNC", `control data truncated: room for ${room} fds, ${inMessage} arrived`);
    }
    if (got.length > maxFds) {
      fail("EMSGSIZE", `${got.length} fds arrived, at most ${maxFds} wanted`);
    }
    if (inMessage === SCM_MAX_FD) continue; // a full chunk: the batch goes on
    if (result.flags & MSG.TRUNC) fail("MSG_TRUNC", `data longer than ${maxData} bytes`);
    if (n === 0 && !first) fail("EOF", "end of stream in the middle of a batch");
    return { fds: got, data: data.slice(0, n) };
  }
}
