import assert from "node:assert/strict";
import { FD_TYPE } from "../model/mod.ts";
import {
  close,
  dupAbove,
  eventfd,
  fstat,
  getFdFlags,
  O,
  pipe2,
  readlink,
  timerfdCreate,
} from "../sys/mod.ts";
import { epollOpener, epollTargets } from "./epoll.ts";
import { AGAIN } from "./opener.ts";
import { RestoreError } from "../restore_error.ts";
import { fdinfo, firstFile, oneTask, testContext } from "./_test_utils.ts";

/** misc-fds: epoll fd 10 watches eventfd fd 3 and timerfd fd 6 (image order 6, 3). */
function miscFds() {
  return oneTask([
    { id: 4, type: FD_TYPE.EVENTFD, payload: { id: 4, flags: 2, counter: 0n }, fds: [3] },
    { id: 7, type: FD_TYPE.TIMERFD, payload: { id: 7, flags: 2, clockid: 1 }, fds: [6] },
    { id: 13, type: FD_TYPE.PIPE, payload: { id: 13, pipe_id: 1, flags: 0 }, fds: [12] },
    {
      id: 11,
      type: FD_TYPE.EVENTPOLL,
      payload: {
        id: 11,
        flags: 2,
        tfd: [
          { id: 0, tfd: 6, events: 2147483673, data: 8738n },
          { id: 0, tfd: 3, events: 25, data: 4369n },
        ],
      },
      fds: [10],
    },
    {
      id: 14,
      type: FD_TYPE.EVENTPOLL,
      payload: { id: 14, flags: 2, tfd: [{ tfd: 12, events: 8217, data: 0xabcdef0123456789n }] },
      fds: [13],
    },
  ]);
}

/** The `tfd:` lines of an epoll: [fd, events hex, data hex], by fd. */
function targetsOf(epfd: number): [number, string, string][] {
  const re = /^tfd:\s+(\d+)\s+events:\s+([0-9a-f]+)\s+data:\s+([0-9a-f]+)/gm;
  return [...fdinfo(epfd).matchAll(re)]
    .map((m): [number, string, string] => [Number(m[1]), m[2], m[3]])
    .sort((a, b) => a[0] - b[0]);
}

function identity(fd: number) {
  const st = fstat(fd);
  return { ino: st.ino, dev: st.dev, link: readlink(`/proc/self/fd/${fd}`), fl: getFdFlags(fd) };
}

Deno.test("epollTargets reads tfd, events and data", () => {
  assert.deepEqual(epollTargets({ tfd: [{ tfd: 6, events: 2147483673, data: 8738n, id: 1 }] }), [
    { tfd: 6, events: 0x80000019, data: 0x2222n },
  ]);
  assert.deepEqual(epollTargets({}), []);
});

Deno.test("an epoll waits for its targets, then registers them under their task fd numbers", () => {
  const cp = miscFds();
  const t = testContext(cp);
  const file = (id: number) => firstFile(cp, FD_TYPE.EVENTPOLL, id);
  // fds 3 and 6 of this process belong to the Deno runtime: they must survive.
  const runtime = [3, 6].map((n) => ({ n, before: identity(n) }));
  let epfd: number | undefined;
  try {
    assert.equal(epollOpener.open(t.ctx, file(11)), AGAIN);
    t.staged.set(firstFile(cp, FD_TYPE.EVENTFD, 4), dupAboveClosing(eventfd(0, O.CLOEXEC)));
    assert.equal(epollOpener.open(t.ctx, file(11)), AGAIN); // the timerfd is not open yet
    t.staged.set(firstFile(cp, FD_TYPE.TIMERFD, 7), dupAboveClosing(timerfdCreate(1, O.CLOEXEC)));
    const got = epollOpener.open(t.ctx, file(11));
    assert.notEqual(got, AGAIN);
    epfd = got as number;
    assert.deepEqual(targetsOf(epfd), [[3, "19", "1111"], [6, "80000019", "2222"]]);
    for (const r of runtime) assert.deepEqual(identity(r.n), r.before);
    assert.match(t.lines.join(""), /Restore eventpoll-tfd: id 0xb tfd 6 events 0x80000019/);
  } finally {
    if (epfd !== undefined) close(epfd);
    t.dispose();
  }
});

Deno.test("an epoll registers a 64-bit data word and EPOLLRDHUP", () => {
  const cp = miscFds();
  const t = testContext(cp);
  const file = (id: number) => firstFile(cp, FD_TYPE.EVENTPOLL, id);
  const [r, w] = pipe2();
  let epfd: number | undefined;
  try {
    t.staged.set([...cp.files.values()].find((f) => f.id === 13)!, dupAboveClosing(r));
    epfd = epollOpener.open(t.ctx, file(14)) as number;
    assert.deepEqual(targetsOf(epfd), [[12, "2019", "abcdef0123456789"]]);
  } finally {
    if (epfd !== undefined) close(epfd);
    close(w);
    t.dispose();
  }
});

Deno.test("an epoll watching an fd the task does not have is refused", () => {
  const cp = oneTask([{
    id: 11,
    type: FD_TYPE.EVENTPOLL,
    payload: { id: 11, flags: 2, tfd: [{ tfd: 40, events: 1, data: 0n }] },
    fds: [10],
  }]);
  const t = testContext(cp);
  try {
    assert.throws(() => epollOpener.open(t.ctx, firstFile(cp, FD_TYPE.EVENTPOLL)), (e: unknown) => {
      assert.ok(e instanceof RestoreError);
      assert.equal(e.message, "epoll id 0xb watches fd 40, which task 100 does not have");
      return true;
    });
  } finally {
    t.dispose();
  }
});

/** Like the scheduler: staged copies live high, above every target. */
function dupAboveClosing(fd: number): number {
  try {
    return dupAbove(fd, 600);
  } finally {
    close(fd);
  }
}
