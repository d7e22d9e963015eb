import assert from "node:assert/strict";
import {
  AF,
  close,
  ERRNO,
  getFilter,
  O,
  read,
  sendPacket,
  setFlags,
  SOCK,
  socketpair,
  SysError,
} from "../sys/mod.ts";
import { leakChecked } from "../sys/_testing.ts";
import { model, testContext } from "./_test_utils.ts";
import { restoreSocketOpts, unpackFilter } from "./socket_opts.ts";

/** Packs one instruction the way criu's images store it. */
function packed(code: number, jt: number, jf: number, k: number): bigint {
  return (BigInt(code) << 48n) | (BigInt(jt) << 40n) | (BigInt(jf) << 32n) | BigInt(k >>> 0);
}

/** "Accept a packet whose first byte is 'a', drop the rest" (jt 0, jf 1: the order matters). */
const ONLY_A = [
  { code: 0x30, jt: 0, jf: 0, k: 0 }, // ldb [0]
  { code: 0x15, jt: 0, jf: 1, k: 0x61 }, // jeq #'a'
  { code: 0x06, jt: 0, jf: 0, k: 0xffffffff }, // ret #-1: the whole packet
  { code: 0x06, jt: 0, jf: 0, k: 0 }, // ret #0: drop
];

Deno.test("criu's packed filter words unpack into code, jt, jf and k", () => {
  // sock_filter00's first word in the zdtm corpus: ldh [12].
  assert.deepEqual(unpackFilter(11258999068426252n), { code: 0x28, jt: 0, jf: 0, k: 12 });
  assert.deepEqual(unpackFilter(packed(0x15, 3, 7, 0x86dd)), {
    code: 0x15,
    jt: 3,
    jf: 7,
    k: 0x86dd,
  });
  assert.deepEqual(unpackFilter(packed(0x06, 0, 0, 0xffffffff)).k, 0xffffffff);
});

Deno.test(
  "a restored socket filter is attached as dumped and drops what it should",
  leakChecked(() => {
    const { ctx } = testContext(model({ files: [] }));
    const [rx, tx] = socketpair(AF.UNIX, SOCK.DGRAM | SOCK.CLOEXEC);
    try {
      const words = ONLY_A.map((i) => packed(i.code, i.jt, i.jf, i.k));
      restoreSocketOpts(ctx, rx, { so_filter: words }, "socket:[1]");
      assert.deepEqual(getFilter(rx), ONLY_A);
      const enc = new TextEncoder();
      sendPacket(tx, enc.encode("banana"));
      sendPacket(tx, enc.encode("apple"));
      setFlags(rx, O.RDWR | O.NONBLOCK);
      const buf = new Uint8Array(16);
      const n = read(rx, buf);
      assert.equal(new TextDecoder().decode(buf.subarray(0, n)), "apple");
      assert.throws(() => read(rx, buf), (e) => e instanceof SysError && e.errno === ERRNO.EAGAIN);
    } finally {
      close(rx);
      close(tx);
    }
  }),
);

Deno.test(
  "a socket without a stored filter gets none",
  leakChecked(() => {
    const { ctx } = testContext(model({ files: [] }));
    const [a, b] = socketpair(AF.UNIX, SOCK.DGRAM | SOCK.CLOEXEC);
    try {
      restoreSocketOpts(ctx, a, { so_filter: [] }, "socket:[2]");
      assert.deepEqual(getFilter(a), []);
    } finally {
      close(a);
      close(b);
    }
  }),
);
