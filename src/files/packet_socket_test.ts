import assert from "node:assert/strict";
import { FD_TYPE } from "../model/mod.ts";
import {
  close,
  ERRNO,
  fstat,
  getFlags,
  getsocknameLl,
  getsockoptInt,
  O,
  PACKET,
  setsockoptInt,
  SO,
  SOCK,
  SOL_PACKET,
  SOL_SOCKET,
} from "../sys/mod.ts";
import { fileOf, model, openFds, testContext } from "./_test_utils.ts";
import { packetSocketOpener } from "./packet_socket.ts";

const PSK = FD_TYPE.PACKETSK;
/** htons(ETH_P_IP) as the image stores it. */
const ETH_P_IP_NET = 0x0008;
const PACKET_MR_PROMISC = 1;
const IFF_PROMISC = 0x100;
const LO = 1;
const RING = {
  block_size: 4096,
  block_nr: 1,
  frame_size: 1024,
  frame_nr: 4,
  retire_tmo: 0,
  sizeof_priv: 0,
  features: 0,
};

/** Packet sockets need CAP_NET_RAW: as another user this is a visible skip. */
const root = Deno.uid() === 0;
if (!root) console.log("skipped: packet socket restores: needs root (CAP_NET_RAW)");

function psk(id: number, fd: number, fields: Record<string, unknown>) {
  return {
    id,
    type: PSK,
    payload: {
      id,
      type: SOCK.RAW,
      protocol: 0,
      flags: O.RDWR,
      ifindex: 0,
      fown: { uid: 0, euid: 0, signum: 0, pid_type: 0, pid: 0 },
      opts: { so_sndbuf: 212992, so_rcvbuf: 212992 },
      version: 0,
      reserve: 0,
      aux_data: false,
      orig_dev: false,
      vnet_hdr: false,
      loss: false,
      timestamp: 0,
      copy_thresh: 0,
      ...fields,
    },
    fds: [[1, fd]] as [number, number][],
  };
}

function openOne(id: number, fd: number, fields: Record<string, unknown>): number {
  const cp = model({ files: [psk(id, fd, fields)] });
  return packetSocketOpener.open(testContext(cp).ctx, fileOf(cp, PSK, id)) as number;
}

/** The type, protocol and interface index /proc/net/packet shows for the socket of `fd`. */
function procNetPacket(fd: number): { type: number; proto: number; iface: number } {
  const ino = String(fstat(fd).ino);
  const line = Deno.readTextFileSync("/proc/net/packet").split("\n")
    .map((l) => l.trim().split(/\s+/)).find((f) => f[8] === ino);
  assert.ok(line, `socket ${ino} in /proc/net/packet`);
  return { type: Number(line[2]), proto: parseInt(line[3], 16), iface: Number(line[4]) };
}

function loFlags(): number {
  return parseInt(Deno.readTextFileSync("/sys/class/net/lo/flags"), 16);
}

Deno.test({
  name: "a raw packet socket keeps its ring version, auxdata, promiscuous membership and rx ring",
  ignore: !root,
  fn() {
    const before = openFds();
    const fd = openOne(6, 4, {
      version: 1,
      aux_data: true,
      mclist: [{ index: LO, type: PACKET_MR_PROMISC, addr: new Uint8Array() }],
      rx_ring: RING,
      flags: O.RDWR | O.NONBLOCK,
    });
    try {
      assert.deepEqual(procNetPacket(fd), { type: SOCK.RAW, proto: 0, iface: 0 });
      assert.equal(getsockoptInt(fd, SOL_PACKET, PACKET.VERSION), 1);
      assert.equal(getsockoptInt(fd, SOL_PACKET, PACKET.AUXDATA), 1);
      assert.equal(getsockoptInt(fd, SOL_PACKET, PACKET.ORIGDEV), 0);
      assert.equal(getFlags(fd) & O.NONBLOCK, O.NONBLOCK);
      // The membership holds lo promiscuous while the socket lives.
      assert.equal(loFlags() & IFF_PROMISC, IFF_PROMISC);
      // A ring exists: the kernel refuses a version change under it.
      assert.throws(() => setsockoptInt(fd, SOL_PACKET, PACKET.VERSION, 0), {
        name: "SysError",
        errno: ERRNO.EBUSY,
      });
    } finally {
      close(fd);
    }
    assert.deepEqual(openFds(), before);
  },
});

Deno.test({
  name: "a datagram packet socket comes back bound to lo with its protocol, reserve and fanout",
  ignore: !root,
  fn() {
    const fd = openOne(7, 5, {
      type: SOCK.DGRAM,
      protocol: ETH_P_IP_NET,
      ifindex: LO,
      reserve: 8,
      orig_dev: true,
      fanout: 13,
      tx_ring: RING,
    });
    try {
      assert.deepEqual(getsocknameLl(fd), { ifindex: LO, protocol: ETH_P_IP_NET });
      assert.deepEqual(procNetPacket(fd), { type: SOCK.DGRAM, proto: 0x0800, iface: LO });
      assert.equal(getsockoptInt(fd, SOL_SOCKET, SO.TYPE), SOCK.DGRAM);
      assert.equal(getsockoptInt(fd, SOL_PACKET, PACKET.RESERVE), 8);
      assert.equal(getsockoptInt(fd, SOL_PACKET, PACKET.ORIGDEV), 1);
      // Group 13, mode 0 (hash), as PACKET_FANOUT reads it back.
      assert.equal(getsockoptInt(fd, SOL_PACKET, PACKET.FANOUT), 13);
    } finally {
      close(fd);
    }
  },
});

Deno.test({
  name: "a SOCK_PACKET socket is bound to its interface by name",
  ignore: !root,
  fn() {
    const fd = openOne(8, 6, { type: SOCK.PACKET, protocol: ETH_P_IP_NET, ifindex: LO });
    try {
      assert.deepEqual(procNetPacket(fd), { type: SOCK.PACKET, proto: 0x0800, iface: LO });
    } finally {
      close(fd);
    }
  },
});

Deno.test({
  name: "a bind to an interface that does not exist fails naming the fd and the interface",
  ignore: !root,
  fn() {
    const before = openFds();
    const cp = model({ files: [psk(9, 7, { ifindex: 0x7fff_fff0 })] });
    assert.throws(() => packetSocketOpener.open(testContext(cp).ctx, fileOf(cp, PSK, 9)), {
      name: "RestoreError",
      message: new RegExp(
        "^fd 7 of task 1: packet socket \\(raw\\): cannot restore the binding to interface " +
          "2147483632: bind\\(fd \\d+\\): ENODEV \\(No such device\\)$",
      ),
    });
    assert.deepEqual(openFds(), before);
  },
});
