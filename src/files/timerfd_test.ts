import assert from "node:assert/strict";
import { FD_TYPE } from "../model/mod.ts";
import { close, getFlags, O, read, TFD, timerfdGettime } from "../sys/mod.ts";
import { timerfdOpener, timerState } from "./timerfd.ts";
import { AGAIN } from "./opener.ts";
import { fdinfo, firstFile, oneTask, testContext } from "./_test_utils.ts";

const S = 1_000_000_000n;

function openTimer(payload: Record<string, unknown>): number {
  const cp = oneTask([{ id: 7, type: FD_TYPE.TIMERFD, payload, fds: [6] }]);
  const t = testContext(cp);
  const fd = timerfdOpener.open(t.ctx, firstFile(cp, FD_TYPE.TIMERFD));
  t.dispose();
  assert.notEqual(fd, AGAIN);
  return fd as number;
}

/** The timerfd entries of the misc-fds corpus dump, as decoded. */
const PERIODIC = {
  flags: 0o4002,
  clockid: 1,
  ticks: 0n,
  settime_flags: 0,
  vsec: 3599n,
  vnsec: 858152404n,
  isec: 60n,
  insec: 0n,
};
const ABSOLUTE = {
  ...PERIODIC,
  flags: 2,
  clockid: 0,
  settime_flags: 1,
  vsec: 7199n,
  vnsec: 787167897n,
  isec: 0n,
};
const EXPIRED = { ...PERIODIC, flags: 2, ticks: 1n, vsec: 0n, vnsec: 0n, isec: 0n };

Deno.test("timerState reads value and interval in nanoseconds", () => {
  assert.deepEqual(timerState(PERIODIC), {
    clockid: 1,
    settimeFlags: 0,
    valueNs: 3599n * S + 858152404n,
    intervalNs: 60n * S,
    ticks: 0n,
  });
  assert.deepEqual(timerState({ ...PERIODIC, clockid: 0, vsec: 0n, vnsec: 0n, isec: 0n }), {
    clockid: 0,
    settimeFlags: 0,
    valueNs: 0n,
    intervalNs: 0n,
    ticks: 0n,
  });
});

Deno.test("a periodic timerfd is armed with the time that was left and its interval", () => {
  const fd = openTimer(PERIODIC);
  try {
    const now = timerfdGettime(fd);
    assert.equal(now.intervalNs, 60n * S);
    assert.ok(now.valueNs <= 3599n * S + 858152404n && now.valueNs > 3598n * S, `${now.valueNs}`);
    assert.match(fdinfo(fd), /clockid: 1\n/);
    assert.equal(getFlags(fd) & O.NONBLOCK, O.NONBLOCK);
  } finally {
    close(fd);
  }
});

Deno.test("an absolute timerfd is re-based on the clock and keeps TFD_TIMER_ABSTIME", () => {
  const fd = openTimer(ABSOLUTE);
  try {
    const left = timerfdGettime(fd).valueNs;
    assert.ok(left <= 7199n * S + 787167897n && left > 7198n * S, `${left}`);
    assert.match(fdinfo(fd), /settime flags: 01\n/);
    assert.equal(getFlags(fd) & O.NONBLOCK, 0);
  } finally {
    close(fd);
  }
});

Deno.test("an expired one-shot timerfd keeps its unread tick and stays disarmed", () => {
  const fd = openTimer({ ...EXPIRED, flags: 0o4002 });
  try {
    assert.match(fdinfo(fd), /ticks: 1\n/);
    assert.deepEqual(timerfdGettime(fd), { valueNs: 0n, intervalNs: 0n });
    const buf = new Uint8Array(new ArrayBuffer(8));
    assert.equal(read(fd, buf), 8);
    assert.equal(new DataView(buf.buffer).getBigUint64(0, true), 1n);
  } finally {
    close(fd);
  }
});

Deno.test("a disarmed absolute timerfd is not armed at now", () => {
  const fd = openTimer({ ...EXPIRED, ticks: 0n, settime_flags: TFD.TIMER_ABSTIME, clockid: 7 });
  try {
    assert.deepEqual(timerfdGettime(fd), { valueNs: 0n, intervalNs: 0n });
    assert.match(fdinfo(fd), /ticks: 0\n/);
    assert.match(fdinfo(fd), /clockid: 7\n/);
  } finally {
    close(fd);
  }
});
