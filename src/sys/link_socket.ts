/**
 * Addresses of netlink and packet sockets (`struct sockaddr_nl`,
 * `sockaddr_ll`, and the bare `struct sockaddr` that SOCK_PACKET binds
 * with), their getsockname/getpeername, and the interface name of an index.
 *
 * @module
 */

import { AF } from "./consts.ts";
import { check } from "./errno.ts";
import { libc } from "./libc.ts";
import { ioctl } from "./kinds.ts";
import { alloc, type SockAddrBuf, view } from "./structs.ts";

/** sizeof(struct sockaddr_nl): family, pad, port id, groups bitmask. */
export const SOCKADDR_NL_SIZE = 12;
/** sizeof(struct sockaddr_ll). */
export const SOCKADDR_LL_SIZE = 20;
/** sizeof(struct sockaddr): the family and 14 bytes (an interface name for SOCK_PACKET). */
const SOCKADDR_SIZE = 16;
/** sizeof(struct ifreq) and IFNAMSIZ. */
const IFREQ_SIZE = 40;
const IFNAMSIZ = 16;
/** ioctl SIOCGIFNAME: the name of the interface whose index is in the ifreq. */
const SIOCGIFNAME = 0x8910;

/** A netlink address: the port id and the first 32 multicast groups as a bitmask. */
export interface NetlinkAddr {
  portid: number;
  groups: number;
}

/** `struct sockaddr_nl`. */
export function encodeSockaddrNl(a: NetlinkAddr): SockAddrBuf {
  const buf = alloc(SOCKADDR_NL_SIZE);
  const v = view(buf);
  v.setUint16(0, AF.NETLINK, true);
  v.setUint32(4, a.portid >>> 0, true);
  v.setUint32(8, a.groups >>> 0, true);
  return { buf, len: SOCKADDR_NL_SIZE };
}

/**
 * `struct sockaddr_ll` for bind: the interface index (0: every interface)
 * and the protocol in network order as the image stores it (0 keeps the
 * socket's own).
 */
export function encodeSockaddrLl(ifindex: number, protocol = 0): SockAddrBuf {
  const buf = alloc(SOCKADDR_LL_SIZE);
  const v = view(buf);
  v.setUint16(0, AF.PACKET, true);
  v.setUint16(2, protocol, true);
  v.setInt32(4, ifindex, true);
  return { buf, len: SOCKADDR_LL_SIZE };
}

/** The bare `struct sockaddr` a SOCK_PACKET socket binds with: the interface name. */
export function encodeSockaddrPkt(ifname: string): SockAddrBuf {
  const buf = alloc(SOCKADDR_SIZE);
  view(buf).setUint16(0, AF.PACKET, true);
  const name = new TextEncoder().encode(ifname);
  if (name.length > SOCKADDR_SIZE - 3) {
    throw new RangeError(`interface name longer than 13 bytes: ${ifname}`);
  }
  buf.set(name, 2);
  return { buf, len: SOCKADDR_SIZE };
}

function nameCall(call: "getsockname" | "getpeername", fd: number): NetlinkAddr {
  const c = libc();
  const buf = alloc(SOCKADDR_NL_SIZE);
  const len = alloc(4);
  view(len).setUint32(0, SOCKADDR_NL_SIZE, true);
  check(call, () => c[call](fd, buf, len), fd);
  const v = view(buf);
  return { portid: v.getUint32(4, true), groups: v.getUint32(8, true) };
}

/** getsockname(2) of a netlink socket. */
export function getsocknameNl(fd: number): NetlinkAddr {
  return nameCall("getsockname", fd);
}

/** getpeername(2) of a netlink socket: the port id and group it sends to. */
export function getpeernameNl(fd: number): NetlinkAddr {
  return nameCall("getpeername", fd);
}

/** getsockname(2) of a packet socket: its interface index and protocol (network order). */
export function getsocknameLl(fd: number): { ifindex: number; protocol: number } {
  const c = libc();
  const buf = alloc(SOCKADDR_LL_SIZE);
  const len = alloc(4);
  view(len).setUint32(0, SOCKADDR_LL_SIZE, true);
  check("getsockname", () => c.getsockname(fd, buf, len), fd);
  const v = view(buf);
  return { ifindex: v.getInt32(4, true), protocol: v.getUint16(2, true) };
}

/** The name of interface `index` in the network namespace of socket `fd` (SIOCGIFNAME). */
export function interfaceName(fd: number, index: number): string {
  const req = alloc(IFREQ_SIZE);
  view(req).setInt32(IFNAMSIZ, index, true);
  ioctl(fd, SIOCGIFNAME, req);
  const end = req.subarray(0, IFNAMSIZ).indexOf(0);
  return new TextDecoder().decode(req.subarray(0, end < 0 ? IFNAMSIZ : end));
}

/** sizeof(struct tpacket_req3): seven u32, of which V1/V2 rings read the first four. */
export const TPACKET_REQ3_SIZE = 28;
/** The kernel's `packet_mreq_max`: ifindex, type, address length, 32 address bytes. */
export const PACKET_MREQ_MAX_SIZE = 40;
const MAX_ADDR_LEN = 32;

/** The fields of a PACKET_RX_RING/PACKET_TX_RING request, in `struct tpacket_req3` order. */
const RING_FIELDS = [
  "block_size",
  "block_nr",
  "frame_size",
  "frame_nr",
  "retire_tmo",
  "sizeof_priv",
  "features",
] as const;
export type PacketRingReq = Record<typeof RING_FIELDS[number], number>;

export function encodeTpacketReq(r: PacketRingReq): Uint8Array<ArrayBuffer> {
  const buf = alloc(TPACKET_REQ3_SIZE);
  const v = view(buf);
  RING_FIELDS.forEach((f, i) => v.setUint32(i * 4, Number(r[f]) >>> 0, true));
  return buf;
}

/** A PACKET_ADD_MEMBERSHIP request: interface, PACKET_MR_* type and link address. */
export function encodePacketMreq(
  ifindex: number,
  type: number,
  addr: Uint8Array,
): Uint8Array<ArrayBuffer> {
  if (addr.length > MAX_ADDR_LEN) {
    throw new RangeError(`link address longer than ${MAX_ADDR_LEN} bytes (${addr.length})`);
  }
  const buf = alloc(PACKET_MREQ_MAX_SIZE);
  const v = view(buf);
  v.setInt32(0, ifindex, true);
  v.setUint16(4, type, true);
  v.setUint16(6, addr.length, true);
  buf.set(addr, 8);
  return buf;
}
