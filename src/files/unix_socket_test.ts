import assert from "node:assert/strict";
import { FD_TYPE, type SocketPacket } from "../model/mod.ts";
import {
  AF,
  close,
  fstat,
  getFlags,
  getpeernameUnix,
  getsocknameUnix,
  getsockoptInt,
  getsockoptTimeval,
  memfdCreate,
  MFD,
  O,
  recvFds,
  SO,
  SOCK,
  socketpair,
  SOL_SOCKET,
  writeAll,
} from "../sys/mod.ts";
import { enc, fileOf, model, openFds, testContext } from "./_test_utils.ts";
import { AGAIN, type OpenResult } from "./opener.ts";
import { unixSocketOpener } from "./unix_socket.ts";

const UNIX = FD_TYPE.UNIXSK;
const STREAM = 1, DGRAM = 2, SEQPACKET = 5;
const ESTABLISHED = 1, CLOSE = 7, LISTEN = 10;
const SO_ACCEPTCONN = 30;

interface Usk {
  id: number;
  ino: number;
  type: number;
  state?: number;
  peer?: number;
  name?: string | Uint8Array;
  name_dir?: string;
  flags?: number;
  uflags?: number;
  backlog?: number;
  shutdown?: number;
  deleted?: boolean;
  opts?: Record<string, unknown>;
  file_perms?: { mode: number; uid: number; gid: number };
  fd: number;
}

function usk(s: Usk) {
  const name = typeof s.name === "string" ? enc(s.name + "\0") : s.name ?? new Uint8Array(0);
  const { fd, ...rest } = s;
  return {
    id: s.id,
    type: UNIX,
    payload: {
      state: ESTABLISHED,
      flags: O.RDWR,
      uflags: 0,
      backlog: 0,
      peer: 0,
      ...rest,
      name,
    },
    fds: [[1, fd]] as [number, number][],
  };
}

function packet(idFor: number, text: string, rights: number[] = []): SocketPacket {
  return { idFor, data: enc(text), rights };
}

/** Reads one message without waiting; undefined when nothing is queued. */
function take(fd: number): { text: string; fds: number[] } | undefined {
  const got = recvFds(fd, 4, 4096, { nonblock: true });
  if (!got) return undefined;
  return { text: new TextDecoder().decode(got.data), fds: got.fds };
}

function opened(r: OpenResult): number {
  assert.equal(typeof r, "number", "the open finished");
  return r as number;
}

function tempRoot(): string {
  const root = Deno.makeTempDirSync({ prefix: "fdrestore-unix-" });
  Deno.mkdirSync(`${root}/app`);
  return root;
}

Deno.test("a stream pair comes back as one socketpair with the bytes queued at each end", () => {
  const before = openFds();
  const cp = model({
    files: [
      usk({ id: 4, ino: 100, type: STREAM, peer: 101, fd: 3 }),
      usk({ id: 5, ino: 101, type: STREAM, peer: 100, fd: 4 }),
    ],
  });
  cp.socketQueues.set(4, [packet(4, "reply")]);
  cp.socketQueues.set(5, [packet(5, "first;"), packet(5, "second")]);
  const f = testContext(cp);
  const a = opened(unixSocketOpener.open(f.ctx, fileOf(cp, UNIX, 4)));
  const b = f.staged.get(fileOf(cp, UNIX, 5))!;
  try {
    assert.ok(b !== undefined, "the peer end is handed to file 5");
    assert.equal(getsockoptInt(a, SOL_SOCKET, SO.TYPE), SOCK.STREAM);
    assert.equal(take(a)?.text, "reply");
    assert.equal(take(b)?.text, "first;second");
    writeAll(a, enc("live"));
    assert.equal(take(b)?.text, "live", "the two ends are connected to each other");
  } finally {
    close(a);
    f.dispose();
  }
  assert.deepEqual(openFds(), before);
});

Deno.test("datagram and seqpacket pairs keep every packet's boundary", () => {
  for (const type of [DGRAM, SEQPACKET]) {
    const cp = model({
      files: [
        usk({ id: 6, ino: 200, type, peer: 201, fd: 5 }),
        usk({ id: 7, ino: 201, type, peer: 200, fd: 6 }),
      ],
    });
    cp.socketQueues.set(6, [packet(6, "one"), packet(6, "two, longer")]);
    const f = testContext(cp);
    const a = opened(unixSocketOpener.open(f.ctx, fileOf(cp, UNIX, 6)));
    try {
      assert.equal(getsockoptInt(a, SOL_SOCKET, SO.TYPE), type);
      assert.equal(take(a)?.text, "one");
      assert.equal(take(a)?.text, "two, longer");
      assert.equal(take(a), undefined);
    } finally {
      close(a);
      f.dispose();
    }
  }
});

Deno.test("each end of a pair gets its own status flags, buffer sizes, timeout and shutdown", () => {
  const cp = model({
    files: [
      usk({
        id: 16,
        ino: 300,
        type: STREAM,
        peer: 301,
        shutdown: 2,
        fd: 15,
        opts: { so_sndbuf: 65536, so_rcvbuf: 131072, so_rcv_tmo_sec: 2n, so_rcv_tmo_usec: 0n },
      }),
      usk({
        id: 17,
        ino: 301,
        type: STREAM,
        peer: 300,
        shutdown: 1,
        flags: O.RDWR | O.NONBLOCK,
        fd: 16,
      }),
    ],
  });
  cp.socketQueues.set(17, [packet(17, "bye!\n")]);
  const f = testContext(cp);
  const a = opened(unixSocketOpener.open(f.ctx, fileOf(cp, UNIX, 16)));
  const b = f.staged.get(fileOf(cp, UNIX, 17))!;
  try {
    assert.equal(getsockoptInt(a, SOL_SOCKET, SO.SNDBUF), 65536);
    assert.equal(getsockoptInt(a, SOL_SOCKET, SO.RCVBUF), 131072);
    assert.deepEqual(getsockoptTimeval(a, SOL_SOCKET, SO.RCVTIMEO_OLD), { sec: 2n, usec: 0n });
    assert.equal(getFlags(a) & O.NONBLOCK, 0);
    assert.equal(getFlags(b) & O.NONBLOCK, O.NONBLOCK);
    assert.throws(() => writeAll(a, enc("x")), /EPIPE/, "the first end was shut for writing");
    assert.equal(take(b)?.text, "bye!\n", "the queue went in before the shutdown");
    assert.equal(take(b)?.text, "", "then end of stream");
  } finally {
    close(a);
    f.dispose();
  }
});

for (const [type, kind] of [[STREAM, "stream"], [SEQPACKET, "seqpacket"]] as const) {
  Deno.test(`an accepted ${kind} connection with a name comes back unnamed, as criu does`, () => {
    const root = tempRoot();
    const cp = model({
      files: [
        usk({ id: 14, ino: 400, type, peer: 401, fd: 13 }),
        usk({ id: 15, ino: 401, type, peer: 400, name: "listen.sock", name_dir: "/app", fd: 14 }),
      ],
    });
    const f = testContext(cp, root);
    const a = opened(unixSocketOpener.open(f.ctx, fileOf(cp, UNIX, 14)));
    try {
      const b = f.staged.get(fileOf(cp, UNIX, 15))!;
      assert.equal(getsockoptInt(b, SOL_SOCKET, SO.TYPE), type);
      assert.deepEqual(getsocknameUnix(b), { unnamed: true });
      assert.deepEqual(getpeernameUnix(a), { unnamed: true });
      assert.throws(() => Deno.lstatSync(`${root}/app/listen.sock`), Deno.errors.NotFound);
    } finally {
      close(a);
      f.dispose();
      Deno.removeSync(root, { recursive: true });
    }
  });
}

Deno.test("listeners are bound to their relative or abstract names, with file_perms, and listen", () => {
  const root = tempRoot();
  const abstract = `fdrestore-test/${Deno.pid}/abstract`;
  const cp = model({
    files: [
      usk({
        id: 8,
        ino: 500,
        type: STREAM,
        state: LISTEN,
        backlog: 16,
        name: "listen.sock",
        name_dir: "/app",
        file_perms: { mode: 0o140700, uid: Deno.uid()!, gid: Deno.gid()! }, // chown to self: no root needed
        fd: 7,
      }),
      usk({
        id: 9,
        ino: 501,
        type: STREAM,
        state: LISTEN,
        backlog: 5,
        name: new Uint8Array([0, ...enc(abstract)]),
        fd: 8,
      }),
    ],
  });
  const f = testContext(cp, root);
  const path = opened(unixSocketOpener.open(f.ctx, fileOf(cp, UNIX, 8)));
  const abs = opened(unixSocketOpener.open(f.ctx, fileOf(cp, UNIX, 9)));
  try {
    assert.deepEqual(getsocknameUnix(path), { path: "listen.sock" }, "the name stays relative");
    const st = Deno.lstatSync(`${root}/app/listen.sock`);
    assert.ok(st.isSocket);
    assert.equal(st.mode! & 0o7777, 0o700);
    assert.equal(getsockoptInt(path, SOL_SOCKET, SO_ACCEPTCONN), 1);
    assert.deepEqual(getsocknameUnix(abs), { abstract: enc(abstract) });
    assert.equal(getsockoptInt(abs, SOL_SOCKET, SO_ACCEPTCONN), 1);
  } finally {
    close(path);
    close(abs);
    f.dispose();
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("a socket connected to a bound datagram socket waits for it, then connects by name", () => {
  const root = tempRoot();
  const cp = model({
    files: [
      usk({ id: 12, ino: 600, type: DGRAM, name: "dgram.sock", name_dir: "/app", fd: 11 }),
      usk({ id: 13, ino: 601, type: DGRAM, peer: 600, fd: 12 }),
    ],
  });
  cp.socketQueues.set(12, [packet(12, "dgram to the bound socket")]);
  const f = testContext(cp, root);
  const client = fileOf(cp, UNIX, 13);
  assert.equal(unixSocketOpener.open(f.ctx, client), AGAIN, "the peer is not bound yet");
  const server = opened(unixSocketOpener.open(f.ctx, fileOf(cp, UNIX, 12)));
  f.staged.set(fileOf(cp, UNIX, 12), server);
  const c = opened(unixSocketOpener.open(f.ctx, client));
  try {
    assert.deepEqual(getpeernameUnix(c), { path: "dgram.sock" });
    assert.throws(() => getpeernameUnix(server), /ENOTCONN/, "the bound socket has no peer");
    assert.equal(take(server)?.text, "dgram to the bound socket");
    writeAll(c, enc("live"));
    assert.equal(take(server)?.text, "live");
  } finally {
    close(c);
    f.dispose();
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("an unnamed datagram socket gets its queue and keeps no peer", () => {
  const cp = model({ files: [usk({ id: 20, ino: 700, type: DGRAM, state: CLOSE, fd: 3 })] });
  cp.socketQueues.set(20, [packet(20, "a"), packet(20, "bc")]);
  const f = testContext(cp);
  const fd = opened(unixSocketOpener.open(f.ctx, fileOf(cp, UNIX, 20)));
  try {
    assert.throws(() => getpeernameUnix(fd), /ENOTCONN/);
    assert.equal(take(fd)?.text, "a");
    assert.equal(take(fd)?.text, "bc");
    assert.equal(take(fd), undefined);
  } finally {
    close(fd);
    f.dispose();
  }
});

Deno.test("a pair opens at once; its queue waits for the passed file, then goes in before shutdown", () => {
  const cp = model({
    files: [
      usk({ id: 30, ino: 800, type: STREAM, peer: 801, shutdown: 1, fd: 3 }),
      usk({ id: 31, ino: 801, type: STREAM, peer: 800, fd: 4 }),
      { id: 32, type: FD_TYPE.MEMFD, payload: {}, fds: [[1, 5]] },
    ],
  });
  cp.socketQueues.set(30, [packet(30, "here", [32, 31])]);
  const f = testContext(cp);
  const a = opened(unixSocketOpener.open(f.ctx, fileOf(cp, UNIX, 30)));
  f.staged.set(fileOf(cp, UNIX, 30), a); // staged, as the scheduler does
  try {
    assert.equal(f.steps.length, 1, "the queue is left for later");
    assert.equal(f.steps[0](), false, "the memfd is not open yet");
    assert.equal(take(a), undefined);
    const mem = memfdCreate("passed", MFD.CLOEXEC);
    f.staged.set(fileOf(cp, FD_TYPE.MEMFD, 32), mem);
    assert.equal(f.steps[0](), true);
    const got = take(a)!;
    assert.equal(got.text, "here");
    assert.equal(fstat(got.fds[0]).ino, fstat(mem).ino);
    const b = f.staged.get(fileOf(cp, UNIX, 31))!;
    assert.equal(fstat(got.fds[1]).ino, fstat(b).ino, "a pair may pass its own end");
    for (const fd of got.fds) close(fd);
    assert.equal(take(a)?.text, "", "shut for reading once the queue was in");
  } finally {
    f.dispose();
  }
});

Deno.test("two datagram sockets that pass each other in their queues both open", () => {
  const root = tempRoot();
  const cp = model({
    files: [
      usk({ id: 33, ino: 810, type: DGRAM, state: CLOSE, name: "a.sock", name_dir: "/app", fd: 6 }),
      usk({ id: 34, ino: 811, type: DGRAM, state: CLOSE, fd: 7 }),
    ],
  });
  cp.socketQueues.set(33, [packet(33, "b for a", [34])]);
  cp.socketQueues.set(34, [packet(34, "a for b", [33])]);
  const f = testContext(cp, root);
  try {
    const a = opened(unixSocketOpener.open(f.ctx, fileOf(cp, UNIX, 33)));
    f.staged.set(fileOf(cp, UNIX, 33), a);
    const b = opened(unixSocketOpener.open(f.ctx, fileOf(cp, UNIX, 34)));
    f.staged.set(fileOf(cp, UNIX, 34), b);
    assert.equal(f.steps.length, 1, "only the first one had to wait");
    assert.equal(f.steps[0](), true);
    const inA = take(a)!, inB = take(b)!;
    assert.deepEqual([inA.text, inB.text], ["b for a", "a for b"]);
    assert.equal(fstat(inA.fds[0]).ino, fstat(b).ino);
    assert.equal(fstat(inB.fds[0]).ino, fstat(a).ino);
    for (const fd of [...inA.fds, ...inB.fds]) close(fd);
  } finally {
    f.dispose();
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("a socket with an external peer fails with criu's message unless it is inherited", () => {
  const cp = model({
    files: [usk({ id: 40, ino: 900, type: STREAM, peer: 12345, uflags: 1, fd: 3 })],
  });
  const f = testContext(cp);
  assert.throws(
    () => unixSocketOpener.open(f.ctx, fileOf(cp, UNIX, 40)),
    /^RestoreError: External socket found in image\. Consider using the --ext-unix-sk option to allow restoring it\. .*--inherit-fd fd\[N\]:socket:\[900\]/,
  );
  const [mine, theirs] = socketpair(AF.UNIX, SOCK.STREAM | SOCK.CLOEXEC);
  f.inherit.stage(mine, "socket:[900]"); // stages a copy and closes `mine`
  const fd = opened(unixSocketOpener.open(f.ctx, fileOf(cp, UNIX, 40)));
  try {
    writeAll(theirs, enc("from outside"));
    assert.equal(take(fd)?.text, "from outside", "the inherited socket is used as it is");
  } finally {
    close(fd);
    close(theirs);
    f.dispose();
  }
});

Deno.test("a datagram socket connected to itself is bound, then connected to its own name", () => {
  const root = tempRoot();
  const me = { id: 11, ino: 950, type: DGRAM, peer: 950, name: "self.sock", name_dir: "/app" };
  const cp = model({ files: [usk({ ...me, deleted: true, fd: 9 })] });
  cp.socketQueues.set(11, [packet(11, "to myself")]);
  const f = testContext(cp, root);
  const fd = opened(unixSocketOpener.open(f.ctx, fileOf(cp, UNIX, 11)));
  try {
    assert.deepEqual(getsocknameUnix(fd), { path: "self.sock" });
    assert.deepEqual(getpeernameUnix(fd), { path: "self.sock" });
    assert.throws(() => Deno.lstatSync(`${root}/app/self.sock`), Deno.errors.NotFound, "deleted");
    assert.equal(take(fd)?.text, "to myself");
    writeAll(fd, enc("again"));
    assert.equal(take(fd)?.text, "again", "what it sends comes back to it");
  } finally {
    close(fd);
    f.dispose();
    Deno.removeSync(root, { recursive: true });
  }
});
