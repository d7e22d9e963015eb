import assert from "node:assert/strict";
import {
  AF,
  FD_CLOEXEC,
  IPPROTO,
  MFD,
  SCM_MAX_FD,
  SHUT,
  SO,
  SOCK,
  SOL_SOCKET,
  TCP,
} from "./consts.ts";
import { close, fstat, getFdFlags, pipe2, read, writeAll } from "./fd.ts";
import { memfdCreate } from "./kinds.ts";
import {
  bind,
  connect,
  getsocknameUnix,
  getsockoptInt,
  listen,
  recvFds,
  sendFds,
  setsockoptInt,
  shutdown,
  socket,
  socketpair,
} from "./socket.ts";
import { encodeSockaddrIn, encodeSockaddrUn } from "./structs.ts";
import { leakChecked } from "./_testing.ts";

const BAD = 999_999;
const T = SOCK.CLOEXEC;

function identity(fd: number): string {
  const s = fstat(fd);
  return `${s.dev}:${s.ino}`;
}

function memfds(n: number): number[] {
  return Array.from({ length: n }, (_, i) => memfdCreate(`scm${i}`, MFD.CLOEXEC));
}

function closeAll(fds: number[]): void {
  for (const fd of fds) close(fd);
}

function roundTrip(type: number, count: number): void {
  const [a, b] = socketpair(AF.UNIX, type | T);
  const sent = memfds(count);
  try {
    sendFds(a, sent, new TextEncoder().encode("hello"));
    const got = recvFds(b, count, 64)!;
    try {
      assert.equal(new TextDecoder().decode(got.data), "hello");
      assert.deepEqual(got.fds.map(identity), sent.map(identity));
      for (const fd of got.fds) assert.equal(getFdFlags(fd), FD_CLOEXEC);
    } finally {
      closeAll(got.fds);
    }
  } finally {
    closeAll([...sent, a, b]);
  }
}

for (const n of [1, 3, 250]) {
  Deno.test(
    `SCM_RIGHTS carries ${n} fds that fstat shows are the same files`,
    leakChecked(() => {
      roundTrip(SOCK.STREAM, n);
    }),
  );
}

Deno.test(
  "a batch above 253 fds goes as several messages and arrives whole",
  leakChecked(() => {
    roundTrip(SOCK.SEQPACKET, 600);
    roundTrip(SOCK.STREAM, 2 * SCM_MAX_FD); // full last chunk: data follows alone
  }),
);

Deno.test(
  "empty data arrives as one NUL byte and no fds is a plain message",
  leakChecked(() => {
    const [a, b] = socketpair(AF.UNIX, SOCK.STREAM | T);
    try {
      sendFds(a, []);
      assert.deepEqual(recvFds(b, 4, 16), { fds: [], data: new Uint8Array([0]) });
    } finally {
      closeAll([a, b]);
    }
  }),
);

Deno.test(
  "MSG_CTRUNC is detected and the fds that arrived are closed",
  leakChecked(() => {
    const [a, b] = socketpair(AF.UNIX, SOCK.SEQPACKET | T);
    const sent = memfds(3);
    try {
      sendFds(a, sent, new Uint8Array([1]));
      // Room for one fd is 24 bytes, which holds two: the third is dropped.
      assert.throws(() => recvFds(b, 1, 16), {
        name: "SysError",
        code: "MSG_CTRUNC",
        message: `recvmsg(fd ${b}): MSG_CTRUNC (control data truncated: room for 1 fds, 2 arrived)`,
      });
    } finally {
      closeAll([...sent, a, b]);
    }
  }),
);

Deno.test(
  "more fds than wanted is an error even when the kernel had room",
  leakChecked(() => {
    const [a, b] = socketpair(AF.UNIX, SOCK.SEQPACKET | T);
    const sent = memfds(2);
    try {
      sendFds(a, sent, new Uint8Array([1]));
      assert.throws(() => recvFds(b, 1, 16), { code: "EMSGSIZE" });
    } finally {
      closeAll([...sent, a, b]);
    }
  }),
);

Deno.test(
  "recvFds with nonblock returns null when nothing is queued",
  leakChecked(() => {
    const [a, b] = socketpair(AF.UNIX, SOCK.STREAM | T);
    try {
      assert.equal(recvFds(b, 1, 16, { nonblock: true }), null);
      shutdown(a, SHUT.WR);
      assert.deepEqual(recvFds(b, 1, 16, { nonblock: true }), { fds: [], data: new Uint8Array() });
    } finally {
      closeAll([a, b]);
    }
    assert.throws(() => recvFds(BAD, 1, 1), {
      message: `recvmsg(fd ${BAD}): EBADF (Bad file descriptor)`,
    });
    assert.throws(() => sendFds(BAD, []), { code: "EBADF", fd: BAD });
  }),
);

Deno.test(
  "sending a closed fd fails with EBADF naming it",
  leakChecked(() => {
    const [a, b] = socketpair(AF.UNIX, SOCK.STREAM | T);
    try {
      assert.throws(() => sendFds(a, [BAD], new Uint8Array([1])), {
        message: `sendmsg(fd ${a}, fd ${BAD}): EBADF (Bad file descriptor)`,
      });
    } finally {
      closeAll([a, b]);
    }
  }),
);

Deno.test(
  "a listening abstract socket accepts a connection with its name",
  leakChecked(() => {
    const name = `fdrestore-test-${Deno.pid}-${Math.random()}`;
    const srv = socket(AF.UNIX, SOCK.STREAM | T);
    const cli = socket(AF.UNIX, SOCK.STREAM | T);
    try {
      bind(srv, encodeSockaddrUn({ abstract: name }));
      listen(srv, 4);
      assert.deepEqual(getsocknameUnix(srv), { abstract: new TextEncoder().encode(name) });
      connect(cli, encodeSockaddrUn({ abstract: name }));
      assert.deepEqual(getsocknameUnix(cli), { unnamed: true });
      assert.throws(() => bind(cli, encodeSockaddrUn({ abstract: name })), {
        message: `bind(fd ${cli}): EADDRINUSE (Address already in use)`,
      });
    } finally {
      closeAll([srv, cli]);
    }
  }),
);

Deno.test("a path socket binds, and connecting to a missing path is ENOENT", () => {
  const dir = Deno.makeTempDirSync();
  const s = socket(AF.UNIX, SOCK.DGRAM | T);
  try {
    bind(s, encodeSockaddrUn({ path: `${dir}/s` }));
    assert.deepEqual(getsocknameUnix(s), { path: `${dir}/s` });
    assert.throws(() => connect(s, encodeSockaddrUn({ path: `${dir}/missing` })), {
      message: `connect(fd ${s}): ENOENT (No such file or directory)`,
    });
  } finally {
    close(s);
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test(
  "socket options are set and read back, and a bad one is ENOPROTOOPT",
  leakChecked(() => {
    const s = socket(AF.INET, SOCK.STREAM | T);
    try {
      setsockoptInt(s, SOL_SOCKET, SO.REUSEADDR, 1);
      assert.equal(getsockoptInt(s, SOL_SOCKET, SO.REUSEADDR), 1);
      assert.equal(getsockoptInt(s, SOL_SOCKET, SO.TYPE), SOCK.STREAM);
      assert.throws(() => getsockoptInt(s, SOL_SOCKET, 9999), {
        message: `getsockopt(fd ${s}, option 9999): ENOPROTOOPT (Protocol not available)`,
      });
      assert.throws(() => setsockoptInt(s, IPPROTO.TCP, TCP.KEEPCNT, 0), {
        message: `setsockopt(fd ${s}, TCP_KEEPCNT): EINVAL (Invalid argument)`,
      });
      bind(s, encodeSockaddrIn([127, 0, 0, 1], 0));
      listen(s, 1);
    } finally {
      close(s);
    }
    assert.throws(() => socket(12345, SOCK.STREAM), {
      message: "socket(domain 12345): EAFNOSUPPORT (Address family not supported by protocol)",
    });
  }),
);

Deno.test(
  "a received pipe end still reaches the sender's pipe",
  leakChecked(() => {
    const [a, b] = socketpair(AF.UNIX, SOCK.STREAM | T);
    const [r, w] = pipe2();
    try {
      sendFds(a, [w], new Uint8Array([9]));
      const got = recvFds(b, 1, 1)!;
      writeAll(got.fds[0], new Uint8Array([42]));
      close(got.fds[0]);
      const buf = new Uint8Array(new ArrayBuffer(1));
      assert.equal(read(r, buf), 1);
      assert.equal(buf[0], 42);
    } finally {
      closeAll([a, b, r, w]);
    }
  }),
);
