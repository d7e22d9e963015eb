import assert from "node:assert/strict";
import { FD_TYPE } from "../model/mod.ts";
import { close, getFlags, O } from "../sys/mod.ts";
import { signalfdOpener, signalsOf } from "./signalfd.ts";
import { AGAIN } from "./opener.ts";
import { fdinfo, firstFile, oneTask, testContext } from "./_test_utils.ts";

function openSignalfd(payload: Record<string, unknown>): number {
  const cp = oneTask([{ id: 6, type: FD_TYPE.SIGNALFD, payload, fds: [5] }]);
  const t = testContext(cp);
  const fd = signalfdOpener.open(t.ctx, firstFile(cp, FD_TYPE.SIGNALFD));
  t.dispose();
  assert.notEqual(fd, AGAIN);
  return fd as number;
}

Deno.test("signalsOf turns a sigmask into signal numbers", () => {
  assert.deepEqual(signalsOf(0xa00n), [10, 12]);
  assert.deepEqual(signalsOf(0n), []);
  assert.deepEqual(signalsOf(1n << 63n), [64]);
});

Deno.test("a signalfd comes back with its mask and flags", () => {
  const fd = openSignalfd({ id: 4, flags: 0o4002, sigmask: 0xa00n });
  try {
    assert.match(fdinfo(fd), /sigmask:\s+0000000000000a00\n/);
    assert.equal(getFlags(fd) & O.NONBLOCK, O.NONBLOCK);
    assert.equal(Deno.readLinkSync(`/proc/self/fd/${fd}`), "anon_inode:[signalfd]");
  } finally {
    close(fd);
  }
});
