import assert from "node:assert/strict";
import { FD_TYPE } from "../model/mod.ts";
import {
  AF,
  bind,
  close,
  encodeSockaddrNl,
  ERRNO,
  getFlags,
  getpeernameNl,
  getsocknameNl,
  getsockoptInt,
  O,
  read,
  SO,
  SOCK,
  socket,
  SOL_SOCKET,
  write,
} from "../sys/mod.ts";
import { fileOf, model, openFds, testContext } from "./_test_utils.ts";
import { dstGroupMask, netlinkSocketOpener } from "./netlink_socket.ts";
import { RestoreError } from "../restore_error.ts";

const NL = FD_TYPE.NETLINKSK;
/** NETLINK_USERSOCK: for user-space protocols; no kernel service reads the tests' messages. */
const USERSOCK = 2;
const CONNECTED = 1, UNCONNECTED = 7;

interface Nlsk {
  id: number;
  protocol?: number;
  state?: number;
  portid?: number;
  groups?: number[];
  dst_portid?: number;
  dst_group?: number;
  flags?: number;
  opts?: Record<string, unknown>;
  fd: number;
}

function nlsk(s: Nlsk) {
  return {
    id: s.id,
    type: NL,
    payload: {
      id: s.id,
      ino: 2000 + s.id,
      protocol: s.protocol ?? USERSOCK,
      state: s.state ?? UNCONNECTED,
      flags: s.flags ?? O.RDWR,
      portid: s.portid ?? 0,
      groups: s.groups,
      dst_portid: s.dst_portid ?? 0,
      dst_group: s.dst_group ?? 0,
      fown: { uid: 0, euid: 0, signum: 0, pid_type: 0, pid: 0 },
      opts: { so_sndbuf: 212992, so_rcvbuf: 212992, ...s.opts },
    },
    fds: [[1, s.fd]] as [number, number][],
  };
}

/** Port ids no netlink socket of this namespace has right now (autobind picks them). */
function freePortids(n: number): number[] {
  const socks = Array.from({ length: n }, () => {
    const s = socket(AF.NETLINK, SOCK.RAW | SOCK.CLOEXEC, USERSOCK);
    bind(s, encodeSockaddrNl({ portid: 0, groups: 0 }));
    return s;
  });
  const ids = socks.map((s) => getsocknameNl(s).portid);
  socks.forEach(close);
  return ids;
}

function openAll(specs: Nlsk[]): number[] {
  const cp = model({ files: specs.map(nlsk) });
  const ctx = testContext(cp).ctx;
  return specs.map((s) => netlinkSocketOpener.open(ctx, fileOf(cp, NL, s.id)) as number);
}

Deno.test("the group a connect names is the bit the kernel reads back as dst_group", () => {
  assert.deepEqual([0, 1, 3, 32, 33].map(dstGroupMask), [0, 1, 4, 0x8000_0000, 0]);
});

Deno.test("a netlink socket comes back bound to its port id; one never bound stays unbound", () => {
  const before = openFds();
  const [a] = freePortids(1);
  const [bound, unbound] = openAll([
    { id: 6, portid: a, fd: 4 },
    { id: 8, state: 0, flags: O.RDWR | O.NONBLOCK, opts: { so_rcvbuf: 65536 }, fd: 6 },
  ]);
  try {
    assert.deepEqual(getsocknameNl(bound), { portid: a, groups: 0 });
    assert.equal(getsockoptInt(bound, SOL_SOCKET, SO.PROTOCOL), USERSOCK);
    // Never bound: no port id until it sends, as in the dump.
    assert.deepEqual(getsocknameNl(unbound), { portid: 0, groups: 0 });
    assert.equal(getFlags(unbound) & O.NONBLOCK, O.NONBLOCK);
    assert.equal(getsockoptInt(unbound, SOL_SOCKET, SO.RCVBUF), 65536);
  } finally {
    [bound, unbound].forEach(close);
  }
  assert.deepEqual(openFds(), before);
});

/** Binding groups and connecting to a port need CAP_NET_ADMIN for USERSOCK on this kernel. */
const root = Deno.uid() === 0;
if (!root) console.log("skipped: netlink groups and connections: needs root");

Deno.test({
  name: "netlink sockets come back with their groups, and connected to their destination",
  ignore: !root,
  fn() {
    const before = openFds();
    const [a, b] = freePortids(2);
    const [bound, sender] = openAll([
      { id: 6, portid: a, groups: [0b101], fd: 4 },
      { id: 7, state: CONNECTED, portid: b, dst_portid: a, dst_group: 3, fd: 5 },
    ]);
    try {
      assert.deepEqual(getsocknameNl(bound), { portid: a, groups: 0b101 });
      assert.deepEqual(getsocknameNl(sender), { portid: b, groups: 0 });
      assert.deepEqual(getpeernameNl(sender), { portid: a, groups: 0b100 });
      // The connection is real: what the sender writes reaches the bound socket.
      const msg = new Uint8Array(16);
      new DataView(msg.buffer).setUint32(0, 16, true); // nlmsg_len
      msg[4] = 0x42;
      write(sender, msg);
      const got = new Uint8Array(64);
      assert.equal(read(bound, got), 16);
      assert.equal(got[4], 0x42);
    } finally {
      [bound, sender].forEach(close);
    }
    assert.deepEqual(openFds(), before);
  },
});

Deno.test("a netlink port id another socket holds fails naming the fd and the port id", () => {
  const holder = socket(AF.NETLINK, SOCK.RAW | SOCK.CLOEXEC, USERSOCK);
  try {
    bind(holder, encodeSockaddrNl({ portid: 0, groups: 0 }));
    const taken = getsocknameNl(holder).portid;
    const before = openFds();
    assert.throws(
      () => openAll([{ id: 9, portid: taken, fd: 7 }]),
      (e: unknown) =>
        e instanceof RestoreError && e.fd === 7 &&
        e.message === `fd 7 of task 1: netlink socket (protocol 2): cannot bind port id ` +
            `${taken}: another netlink socket has it` &&
        (e.cause as { errno?: number }).errno === ERRNO.EADDRINUSE,
    );
    assert.deepEqual(openFds(), before, "the new socket was closed");
  } finally {
    close(holder);
  }
});

Deno.test("multicast groups above 32 are refused before any socket is made", () => {
  const before = openFds();
  assert.throws(() => openAll([{ id: 10, portid: 1, groups: [0, 1], fd: 8 }]), {
    name: "RestoreError",
    message: "fd 8 of task 1: netlink socket (protocol 2): multicast groups above 32 " +
      "cannot be restored",
  });
  assert.deepEqual(openFds(), before);
});
