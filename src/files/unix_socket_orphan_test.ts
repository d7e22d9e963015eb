import assert from "node:assert/strict";
import { FD_TYPE } from "../model/mod.ts";
import {
  close,
  getpeernameUnix,
  getsockoptInt,
  O,
  recvFds,
  SO,
  SOCK,
  SOL_SOCKET,
  writeAll,
} from "../sys/mod.ts";
import { enc, fileOf, model, openFds, testContext } from "./_test_utils.ts";
import { unixSocketOpener } from "./unix_socket.ts";

const UNIX = FD_TYPE.UNIXSK;
const ESTABLISHED = 1;

/** A connected socket whose peer is gone: peer 0, as criu dumps it (zdtm sockets02). */
function orphan(type: number, shutdown: number) {
  return model({
    files: [{
      id: 6,
      type: UNIX,
      payload: { id: 6, ino: 492056, type, state: ESTABLISHED, flags: O.RDWR, peer: 0, shutdown },
      fds: [[1, 4]],
    }],
  });
}

for (const [type, kind] of [[SOCK.STREAM, "stream"], [SOCK.SEQPACKET, "seqpacket"]] as const) {
  Deno.test(`a connected ${kind} socket whose peer closed keeps its queue, then reads EOF`, () => {
    const before = openFds();
    const cp = orphan(type, 3);
    cp.socketQueues.set(6, [{ idFor: 6, data: enc("T"), rights: [] }]);
    const f = testContext(cp);
    const r = unixSocketOpener.open(f.ctx, fileOf(cp, UNIX, 6));
    assert.equal(typeof r, "number");
    const fd = r as number;
    try {
      assert.equal(getsockoptInt(fd, SOL_SOCKET, SO.TYPE), type);
      assert.deepEqual(getpeernameUnix(fd), { unnamed: true }, "still connected, to no one");
      const got = recvFds(fd, 1, 16, { nonblock: true })!;
      assert.equal(new TextDecoder().decode(got.data), "T");
      assert.equal(recvFds(fd, 1, 16, { nonblock: true })?.data.byteLength, 0, "then EOF");
      assert.throws(() => writeAll(fd, enc("x")), /EPIPE/);
      assert.equal(f.steps.length, 0);
    } finally {
      close(fd);
      f.dispose();
    }
    assert.deepEqual(openFds(), before);
  });
}

Deno.test("a connected stream socket without a peer that was not shut down is refused", () => {
  const cp = orphan(SOCK.STREAM, 0);
  const before = openFds();
  assert.throws(
    () => unixSocketOpener.open(testContext(cp).ctx, fileOf(cp, UNIX, 6)),
    {
      name: "RestoreError",
      message: "Wrong shutdown/peer state for socket:[492056]: a connected stream socket " +
        "without a peer in the images must be shut down both ways",
    },
  );
  assert.deepEqual(openFds(), before);
});
