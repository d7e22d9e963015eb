import assert from "node:assert/strict";
import { FD_TYPE } from "../model/mod.ts";
import { close, getFlags, O, read } from "../sys/mod.ts";
import { eventfdOpener } from "./eventfd.ts";
import { AGAIN } from "./opener.ts";
import { fdinfo, firstFile, oneTask, testContext } from "./_test_utils.ts";

function openEventfd(payload: Record<string, unknown>): number {
  const cp = oneTask([{ id: 4, type: FD_TYPE.EVENTFD, payload, fds: [3] }]);
  const t = testContext(cp);
  const fd = eventfdOpener.open(t.ctx, firstFile(cp, FD_TYPE.EVENTFD));
  t.dispose();
  assert.notEqual(fd, AGAIN);
  return fd as number;
}

Deno.test("an eventfd comes back with its counter and O_NONBLOCK", () => {
  const fd = openEventfd({ id: 4, flags: 0o4002, counter: 5n });
  try {
    assert.match(fdinfo(fd), /eventfd-count:\s+5\n/);
    assert.equal(getFlags(fd) & (O.NONBLOCK | O.ACCMODE), O.NONBLOCK | O.RDWR);
    const buf = new Uint8Array(new ArrayBuffer(8));
    assert.equal(read(fd, buf), 8);
    assert.equal(new DataView(buf.buffer).getBigUint64(0, true), 5n);
  } finally {
    close(fd);
  }
});

Deno.test("an eventfd counter above 32 bits is written after creation", () => {
  const counter = 0xffff_ffff_ffff_fffen; // the largest an eventfd can hold
  const fd = openEventfd({ id: 4, flags: 2, counter });
  try {
    assert.match(fdinfo(fd), /eventfd-count:\s+fffffffffffffffe\n/);
    assert.equal(getFlags(fd) & O.NONBLOCK, 0);
  } finally {
    close(fd);
  }
});
