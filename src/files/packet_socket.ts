/**
 * Packet sockets (CRIU's sk-packet.c): a new AF_PACKET socket of the dumped
 * type and protocol, bound to its interface, then its SOL_PACKET state in
 * criu's order: ring version, reserve, timestamp source, copy threshold, the
 * boolean options that were on, memberships, rx/tx rings, fanout group.
 * The obsolete SOCK_PACKET type is only bound (by interface name).
 *
 * A ring the task had mapped is created again but not mapped (fdrestore
 * restores no memory), so its frames start empty. Needs CAP_NET_RAW.
 */
import { FD_TYPE, type FileDesc, type FileOf } from "../model/mod.ts";
import {
  AF,
  bind,
  encodePacketMreq,
  encodeSockaddrLl,
  encodeSockaddrPkt,
  encodeTpacketReq,
  interfaceName,
  PACKET,
  type PacketRingReq,
  setsockoptBytes,
  setsockoptInt,
  SOCK,
  socket,
  SOL_PACKET,
} from "../sys/mod.ts";
import type { PacketMclist, PacketSockEntry } from "../image/mod.ts";
import type { FileOpener, OpenContext, OpenResult } from "./opener.ts";
import { RestoreError, why } from "../restore_error.ts";
import { buildSocket, socketParams } from "./socket_opts.ts";

/** PACKET_FANOUT's "none" in the image (the field's default). */
const NO_FANOUT = 0xffff_ffff;

/** packet_sock_entry as the opener uses it. */
export type PacketSk = PacketSockEntry;

const TYPE_NAMES: Record<number, string> = { 2: "dgram", 3: "raw", 10: "SOCK_PACKET" };

function where(file: FileDesc): string {
  const m = file.fds[0];
  return m ? `fd ${m.fd} of task ${m.task.pid}` : `socket id ${file.id}`;
}

/** Runs one restore step; a failure names the socket and the step. */
function step(label: string, what: string, info: object, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    throw new RestoreError(`${label}: cannot restore ${what}: ${why(e)}`, info, { cause: e });
  }
}

/** The SOL_PACKET state after bind, in criu's order (see the module doc). */
function restorePacketOpts(fd: number, sk: PacketSk, label: string, info: object): void {
  const ints: [string, number, number][] = [
    ["PACKET_VERSION", PACKET.VERSION, sk.version],
    ["PACKET_RESERVE", PACKET.RESERVE, sk.reserve],
    ["PACKET_TIMESTAMP", PACKET.TIMESTAMP, sk.timestamp],
    ["PACKET_COPY_THRESH", PACKET.COPY_THRESH, sk.copy_thresh],
  ];
  for (const [name, opt, value] of ints) {
    step(label, name, info, () => setsockoptInt(fd, SOL_PACKET, opt, Number(value ?? 0)));
  }
  const flags: [string, number, boolean | undefined][] = [
    ["PACKET_AUXDATA", PACKET.AUXDATA, sk.aux_data],
    ["PACKET_ORIGDEV", PACKET.ORIGDEV, sk.orig_dev],
    ["PACKET_VNET_HDR", PACKET.VNET_HDR, sk.vnet_hdr],
    ["PACKET_LOSS", PACKET.LOSS, sk.loss],
  ];
  for (const [name, opt, on] of flags) {
    if (on === true) step(label, name, info, () => setsockoptInt(fd, SOL_PACKET, opt, 1));
  }
  for (const m of (sk.mclist ?? []) as PacketMclist[]) {
    const addr = m.addr ?? new Uint8Array();
    step(label, `membership type ${m.type} on interface ${m.index}`, info, () => {
      setsockoptBytes(
        fd,
        SOL_PACKET,
        PACKET.ADD_MEMBERSHIP,
        encodePacketMreq(m.index, m.type, addr),
      );
    });
  }
  const rings: [string, number, PacketRingReq | undefined][] = [
    ["PACKET_RX_RING", PACKET.RX_RING, sk.rx_ring],
    ["PACKET_TX_RING", PACKET.TX_RING, sk.tx_ring],
  ];
  for (const [name, opt, ring] of rings) {
    if (ring) {
      step(label, name, info, () => setsockoptBytes(fd, SOL_PACKET, opt, encodeTpacketReq(ring)));
    }
  }
  const fanout = sk.fanout === undefined ? NO_FANOUT : Number(sk.fanout) >>> 0;
  if (fanout !== NO_FANOUT) {
    step(label, `fanout 0x${fanout.toString(16)}`, info, () => {
      setsockoptInt(fd, SOL_PACKET, PACKET.FANOUT, fanout | 0);
    });
  }
}

/** Opens one packet socket file (see the module doc). */
export function openPacketSocket(
  ctx: OpenContext,
  file: FileOf<typeof FD_TYPE.PACKETSK>,
): OpenResult {
  const sk = file.payload;
  const m = file.fds[0];
  const info = { pid: m?.task.pid, fd: m?.fd, fileId: file.id };
  const type = Number(sk.type);
  const ifindex = Number(sk.ifindex ?? 0);
  const label = `${where(file)}: packet socket (${TYPE_NAMES[type] ?? `type ${type}`})`;
  let fd: number;
  try {
    fd = socket(AF.PACKET, type | SOCK.CLOEXEC, Number(sk.protocol ?? 0));
  } catch (e) {
    throw new RestoreError(`${label}: cannot create it: ${why(e)}`, info, { cause: e });
  }
  return buildSocket(fd, () => {
    if (type === SOCK.PACKET) {
      if (ifindex > 0) {
        step(label, `the binding to interface ${ifindex}`, info, () => {
          bind(fd, encodeSockaddrPkt(interfaceName(fd, ifindex)));
        });
      }
    } else {
      step(label, `the binding to interface ${ifindex}`, info, () => {
        bind(fd, encodeSockaddrLl(ifindex));
      });
      restorePacketOpts(fd, sk, label, info);
    }
    socketParams(ctx, fd, sk, where(file));
  });
}

export const packetSocketOpener: FileOpener<typeof FD_TYPE.PACKETSK> = {
  type: FD_TYPE.PACKETSK,
  open: openPacketSocket,
};
