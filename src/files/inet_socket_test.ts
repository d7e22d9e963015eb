import assert from "node:assert/strict";
import { FD_TYPE } from "../model/mod.ts";
import {
  AF,
  bind,
  close,
  encodeSockaddrIn,
  ERRNO,
  getFlags,
  getpeernameInet,
  getsocknameInet,
  getsockoptInt,
  IP_FREEBIND,
  IPPROTO,
  IPV6_FREEBIND,
  IPV6_V6ONLY,
  O,
  SO,
  SOCK,
  socket,
  SOL_SOCKET,
} from "../sys/mod.ts";
import { fileOf, model, openFds, testContext } from "./_test_utils.ts";
import { addrBytes, formatAddr, inetSocketOpener } from "./inet_socket.ts";
import { RestoreError } from "../restore_error.ts";

const INET = FD_TYPE.INETSK;
const TCP = 6, UDP = 17;
const ESTABLISHED = 1, CLOSE = 7, LISTEN = 10;
const SO_ACCEPTCONN = 30;
/** Addresses as the image stores them: the in-memory bytes read as little-endian words. */
const LOOP4 = [0x0100007f];
const ANY4 = [0];
const LOOP6 = [0, 0, 0, 0x01000000];

interface Isk {
  id: number;
  family?: number;
  type?: number;
  proto?: number;
  state: number;
  src: number[];
  sport: number;
  dst?: number[];
  dport?: number;
  flags?: number;
  backlog?: number;
  v6only?: boolean;
  opts?: Record<string, unknown>;
  ip_opts?: Record<string, unknown>;
  fd: number;
}

function isk(s: Isk) {
  return {
    id: s.id,
    type: INET,
    payload: {
      id: s.id,
      ino: 1000 + s.id,
      family: s.family ?? AF.INET,
      type: s.type ?? SOCK.STREAM,
      proto: s.proto ?? TCP,
      state: s.state,
      src_port: s.sport,
      dst_port: s.dport ?? 0,
      flags: s.flags ?? O.RDWR,
      backlog: s.backlog ?? 0,
      src_addr: s.src,
      dst_addr: s.dst ?? s.src.map(() => 0),
      v6only: s.v6only,
      ip_opts: s.ip_opts,
      opts: { so_sndbuf: 16384, so_rcvbuf: 131072, reuseaddr: false, ...s.opts },
      tcp_opts: { keepcnt: 9, keepidle: 7200, keepintvl: 75 },
    },
    fds: [[1, s.fd]] as [number, number][],
  };
}

/** A loopback port that is free right now. */
function freePort(type: number = SOCK.STREAM): number {
  const s = socket(AF.INET, type | SOCK.CLOEXEC);
  try {
    bind(s, encodeSockaddrIn([127, 0, 0, 1], 0));
    return getsocknameInet(s).port;
  } finally {
    close(s);
  }
}

function openOne(spec: Isk): number {
  const cp = model({ files: [isk(spec)] });
  const r = inetSocketOpener.open(testContext(cp).ctx, fileOf(cp, INET, spec.id));
  assert.equal(typeof r, "number");
  return r as number;
}

Deno.test("stored address words turn into the address bytes and read as criu prints them", () => {
  assert.deepEqual([...addrBytes(LOOP4)], [127, 0, 0, 1]);
  assert.equal(formatAddr(AF.INET, LOOP4, 47001), "127.0.0.1:47001");
  assert.equal(formatAddr(AF.INET6, LOOP6, 47003), "[::1]:47003");
  assert.equal(formatAddr(AF.INET6, [0, 0, 0, 0], 0), "[::]:0");
  assert.equal(formatAddr(AF.INET6, [0x80fe, 0, 0, 0x01000000], 1), "[fe80::1]:1");
});

Deno.test("a TCP listener on 127.0.0.1 keeps its port, SO_REUSEADDR, buffer sizes and backlog", () => {
  const before = openFds();
  const port = freePort();
  const fd = openOne({
    id: 4,
    state: LISTEN,
    src: LOOP4,
    sport: port,
    backlog: 10,
    opts: { reuseaddr: true },
    fd: 3,
  });
  try {
    assert.deepEqual(getsocknameInet(fd), {
      family: AF.INET,
      addr: new Uint8Array([127, 0, 0, 1]),
      port,
    });
    assert.equal(getsockoptInt(fd, SOL_SOCKET, SO_ACCEPTCONN), 1);
    assert.equal(getsockoptInt(fd, SOL_SOCKET, SO.REUSEADDR), 1);
    assert.equal(getsockoptInt(fd, SOL_SOCKET, SO.SNDBUF), 16384);
    assert.equal(getsockoptInt(fd, SOL_SOCKET, SO.RCVBUF), 131072);
  } finally {
    close(fd);
  }
  assert.deepEqual(openFds(), before);
});

Deno.test("an IPv6 TCP listener on ::1 is IPV6_V6ONLY and its reuseaddr goes back to off", () => {
  const port = freePort();
  const fd = openOne({
    id: 6,
    family: AF.INET6,
    state: LISTEN,
    src: LOOP6,
    sport: port,
    backlog: 7,
    v6only: true,
    fd: 5,
  });
  try {
    const name = getsocknameInet(fd);
    assert.equal(name.family, AF.INET6);
    assert.deepEqual([...name.addr], [...new Array(15).fill(0), 1]);
    assert.equal(name.port, port);
    assert.equal(getsockoptInt(fd, IPPROTO.IPV6, IPV6_V6ONLY), 1);
    assert.equal(getsockoptInt(fd, SOL_SOCKET, SO.REUSEADDR), 0);
  } finally {
    close(fd);
  }
});

Deno.test("a UDP socket is bound and connected again, non-blocking as it was", () => {
  const p1 = freePort(SOCK.DGRAM);
  const p2 = freePort(SOCK.DGRAM);
  const fd = openOne({
    id: 7,
    type: SOCK.DGRAM,
    proto: UDP,
    state: ESTABLISHED,
    src: LOOP4,
    sport: p1,
    dst: LOOP4,
    dport: p2,
    flags: O.RDWR | O.NONBLOCK,
    opts: { so_sndbuf: 212992, so_rcvbuf: 212992 },
    fd: 6,
  });
  try {
    assert.equal(getsocknameInet(fd).port, p1);
    assert.equal(getpeernameInet(fd).port, p2);
    assert.equal(getFlags(fd) & O.NONBLOCK, O.NONBLOCK);
    assert.equal(getsockoptInt(fd, SOL_SOCKET, SO.TYPE), SOCK.DGRAM);
    assert.equal(getsockoptInt(fd, SOL_SOCKET, SO.RCVBUF), 212992);
  } finally {
    close(fd);
  }
});

Deno.test("a TCP socket that was never bound stays unbound", () => {
  const fd = openOne({ id: 9, state: CLOSE, src: ANY4, sport: 0, fd: 8 });
  try {
    assert.deepEqual(getsocknameInet(fd), { family: AF.INET, addr: new Uint8Array(4), port: 0 });
    assert.equal(getsockoptInt(fd, SOL_SOCKET, SO_ACCEPTCONN), 0);
  } finally {
    close(fd);
  }
});

Deno.test("an established TCP connection is refused with its addresses", () => {
  const cp = model({
    files: [
      isk({
        id: 11,
        state: ESTABLISHED,
        src: LOOP4,
        sport: 40000,
        dport: 47001,
        dst: LOOP4,
        fd: 12,
      }),
    ],
  });
  const before = openFds();
  assert.throws(() => inetSocketOpener.open(testContext(cp).ctx, fileOf(cp, INET, 11)), {
    name: "RestoreError",
    message: "fd 12 of task 1: established TCP connection 127.0.0.1:40000 -> " +
      "127.0.0.1:47001: cannot be restored (pass --tcp-close, or --tcp-established as criu " +
      "needs; either way it comes back closed)",
  });
  assert.deepEqual(openFds(), before);
});

for (const mode of ["close", "established"] as const) {
  Deno.test(`with tcp mode ${mode} an established connection comes back new and closed`, () => {
    const cp = model({
      files: [
        isk({
          id: 11,
          state: ESTABLISHED,
          src: LOOP4,
          sport: freePort(),
          dport: 47001,
          dst: LOOP4,
          flags: O.RDWR | O.NONBLOCK,
          opts: { so_rcvbuf: 65536 },
          fd: 12,
        }),
      ],
    });
    const fake = testContext(cp);
    const fd = inetSocketOpener.open({ ...fake.ctx, tcp: mode }, fileOf(cp, INET, 11)) as number;
    try {
      assert.deepEqual(getsocknameInet(fd), { family: AF.INET, addr: new Uint8Array(4), port: 0 });
      assert.throws(() => getpeernameInet(fd), { name: "SysError", errno: ERRNO.ENOTCONN });
      assert.equal(getsockoptInt(fd, SOL_SOCKET, SO_ACCEPTCONN), 0);
      assert.equal(getFlags(fd) & O.NONBLOCK, O.NONBLOCK);
      assert.equal(getsockoptInt(fd, SOL_SOCKET, SO.RCVBUF), 65536);
      const sport = fileOf(cp, INET, 11).payload.src_port;
      const note = `fd 12 of task 1: established TCP connection 127.0.0.1:${sport} -> ` +
        "127.0.0.1:47001 comes back as a new closed socket";
      const said = fake.lines.filter((l) => l.includes(note));
      assert.equal(said.length, 1, fake.lines.join("\n"));
      assert.equal(said[0].includes("fdrestore has no TCP repair"), mode === "established");
    } finally {
      close(fd);
    }
  });
}

Deno.test("a port in use fails naming the fd, the address and the reason", () => {
  const busy = socket(AF.INET, SOCK.STREAM | SOCK.CLOEXEC);
  try {
    bind(busy, encodeSockaddrIn([127, 0, 0, 1], 0));
    const port = getsocknameInet(busy).port;
    const cp = model({ files: [isk({ id: 10, state: CLOSE, src: LOOP4, sport: port, fd: 9 })] });
    const before = openFds();
    assert.throws(
      () => inetSocketOpener.open(testContext(cp).ctx, fileOf(cp, INET, 10)),
      (e: unknown) =>
        e instanceof RestoreError && e.fd === 9 &&
        e.message === `fd 9 of task 1: cannot bind 127.0.0.1:${port}: the port is in use`,
    );
    assert.deepEqual(openFds(), before, "the new socket was closed");
  } finally {
    close(busy);
  }
});

/** Documentation addresses (RFC 3849, RFC 5737) this host does not have. */
const DOC6 = addrWords([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0xff, 0, 0, 0x42, 0x83, 0x29]);
const DOC4 = addrWords([192, 0, 2, 7]);

function addrWords(bytes: number[]): number[] {
  const v = new DataView(new Uint8Array(bytes).buffer);
  return Array.from({ length: bytes.length / 4 }, (_, i) => v.getUint32(i * 4, true));
}

Deno.test("a socket bound with IP_FREEBIND to an address this host lacks is bound again", () => {
  const port = freePort(SOCK.DGRAM);
  const six = openOne({
    id: 12,
    family: AF.INET6,
    type: SOCK.DGRAM,
    proto: UDP,
    state: CLOSE,
    src: DOC6,
    sport: port,
    v6only: true,
    ip_opts: { freebind: true },
    fd: 4,
  });
  const four = openOne({
    id: 13,
    state: LISTEN,
    src: DOC4,
    sport: port,
    backlog: 3,
    ip_opts: { freebind: true },
    fd: 5,
  });
  try {
    assert.equal(formatAddr(AF.INET6, DOC6, port), `[2001:db8::ff00:42:8329]:${port}`);
    const name = getsocknameInet(six);
    assert.deepEqual([...name.addr], [...addrBytes(DOC6)]);
    assert.equal(name.port, port);
    assert.equal(getsockoptInt(six, IPPROTO.IPV6, IPV6_FREEBIND), 1);
    assert.deepEqual(getsocknameInet(four), {
      family: AF.INET,
      addr: new Uint8Array([192, 0, 2, 7]),
      port,
    });
    assert.equal(getsockoptInt(four, IPPROTO.IP, IP_FREEBIND), 1);
    assert.equal(getsockoptInt(four, SOL_SOCKET, SO_ACCEPTCONN), 1);
  } finally {
    close(six);
    close(four);
  }
});

Deno.test("without IP_FREEBIND in the image the same bind fails with EADDRNOTAVAIL", () => {
  const cp = model({
    files: [isk({ id: 14, state: LISTEN, src: DOC4, sport: freePort(), fd: 6 })],
  });
  assert.throws(
    () => inetSocketOpener.open(testContext(cp).ctx, fileOf(cp, INET, 14)),
    (e: unknown) => e instanceof RestoreError && /: EADDRNOTAVAIL /.test(e.message),
  );
});
