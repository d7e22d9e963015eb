import assert from "node:assert/strict";
import { AF, IPPROTO, IPV6_V6ONLY, MFD, SO, SOCK, SOL_SOCKET } from "./consts.ts";
import { close, fstat, read } from "./fd.ts";
import { memfdCreate } from "./kinds.ts";
import {
  bind,
  connect,
  disconnect,
  getpeernameInet,
  getpeernameUnix,
  getsocknameInet,
  getsockoptInt,
  getsockoptTimeval,
  recvFds,
  sendPacket,
  setsockoptInt,
  setsockoptTimeval,
  socket,
  socketpair,
} from "./socket.ts";
import { encodeSockaddrIn, encodeSockaddrIn6, encodeSockaddrUn } from "./structs.ts";
import { leakChecked } from "./_testing.ts";

const T = SOCK.CLOEXEC;
const LOOP6 = [...new Array(15).fill(0), 1];

Deno.test(
  "getsocknameInet and getpeernameInet read back IPv4 and IPv6 loopback addresses",
  leakChecked(() => {
    const a = socket(AF.INET, SOCK.DGRAM | T);
    const b = socket(AF.INET6, SOCK.DGRAM | T);
    try {
      bind(a, encodeSockaddrIn([127, 0, 0, 1], 0));
      const name = getsocknameInet(a);
      assert.equal(name.family, AF.INET);
      assert.deepEqual([...name.addr], [127, 0, 0, 1]);
      assert.ok(name.port > 0);
      setsockoptInt(b, IPPROTO.IPV6, IPV6_V6ONLY, 1);
      bind(b, encodeSockaddrIn6(LOOP6, 0));
      const six = getsocknameInet(b);
      assert.equal(six.family, AF.INET6);
      assert.deepEqual([...six.addr], LOOP6);
      const c = socket(AF.INET, SOCK.DGRAM | T);
      try {
        connect(c, encodeSockaddrIn([127, 0, 0, 1], name.port));
        assert.deepEqual(getpeernameInet(c), name);
      } finally {
        close(c);
      }
    } finally {
      close(a);
      close(b);
    }
  }),
);

Deno.test(
  "socket timeouts set as a timeval (whole jiffies) read back the same",
  leakChecked(() => {
    const s = socket(AF.UNIX, SOCK.STREAM | T);
    try {
      setsockoptTimeval(s, SOL_SOCKET, SO.SNDTIMEO_OLD, { sec: 3n, usec: 500000n });
      assert.deepEqual(getsockoptTimeval(s, SOL_SOCKET, SO.SNDTIMEO_OLD), {
        sec: 3n,
        usec: 500000n,
      });
      assert.deepEqual(getsockoptTimeval(s, SOL_SOCKET, SO.RCVTIMEO_OLD), { sec: 0n, usec: 0n });
    } finally {
      close(s);
    }
  }),
);

Deno.test(
  "a disconnected datagram socket has no peer and still receives from its old pair",
  leakChecked(() => {
    const [a, b] = socketpair(AF.UNIX, SOCK.DGRAM | T);
    try {
      disconnect(a);
      assert.throws(() => getpeernameUnix(a), /ENOTCONN/);
      getsockoptInt(b, SOL_SOCKET, SO.ERROR); // the disconnect left ECONNRESET on b
      assert.equal(sendPacket(b, new Uint8Array([1, 2, 3])), 3);
      const buf = new Uint8Array(new ArrayBuffer(8));
      assert.equal(read(a, buf), 3);
    } finally {
      close(a);
      close(b);
    }
  }),
);

Deno.test(
  "sendPacket sends exact datagrams, empty ones included, with fds",
  leakChecked(() => {
    const [a, b] = socketpair(AF.UNIX, SOCK.SEQPACKET | T);
    const m = memfdCreate("pkt", MFD.CLOEXEC);
    try {
      assert.equal(sendPacket(a, new Uint8Array(0), [m]), 0);
      assert.equal(sendPacket(a, new TextEncoder().encode("xy")), 2);
      const first = recvFds(b, 1, 16)!;
      assert.equal(first.data.byteLength, 0);
      assert.equal(fstat(first.fds[0]).ino, fstat(m).ino);
      close(first.fds[0]);
      const second = recvFds(b, 1, 16)!;
      assert.equal(new TextDecoder().decode(second.data), "xy");
      assert.deepEqual(second.fds, []);
      assert.throws(() => sendPacket(a, new Uint8Array(1), new Array(254).fill(m)), RangeError);
    } finally {
      close(a);
      close(b);
      close(m);
    }
  }),
);

Deno.test(
  "getpeernameUnix names the path a socket connected to",
  leakChecked(() => {
    const dir = Deno.makeTempDirSync();
    const srv = socket(AF.UNIX, SOCK.DGRAM | T);
    const cli = socket(AF.UNIX, SOCK.DGRAM | T);
    try {
      bind(srv, encodeSockaddrUn({ path: `${dir}/s` }));
      connect(cli, encodeSockaddrUn({ path: `${dir}/s` }));
      assert.deepEqual(getpeernameUnix(cli), { path: `${dir}/s` });
    } finally {
      close(srv);
      close(cli);
      Deno.removeSync(dir, { recursive: true });
    }
  }),
);
