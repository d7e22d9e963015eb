import assert from "node:assert/strict";
import { atFdNumber } from "./at_number.ts";
import { EPOLL, EPOLLIN, O, SEEK } from "./consts.ts";
import { close, dup2, fstat, getFdFlags, getFlags, lseek, open, readlink } from "./fd.ts";
import { epollCreate1, epollCtl, eventfd } from "./kinds.ts";
import { leakChecked, openFds } from "./_testing.ts";

/** The `tfd:` numbers of an epoll, from /proc/self/fdinfo. */
function epollTargets(epfd: number): number[] {
  const text = Deno.readTextFileSync(`/proc/self/fdinfo/${epfd}`);
  return [...text.matchAll(/^tfd:\s+(\d+)/gm)].map((m) => Number(m[1])).sort((a, b) => a - b);
}

function freeNumberAbove(min: number): number {
  const open = new Set(openFds());
  let n = min;
  while (open.has(n)) n++;
  return n;
}

function identity(fd: number) {
  const st = fstat(fd);
  return {
    dev: st.dev,
    ino: st.ino,
    mode: st.mode,
    link: readlink(`/proc/self/fd/${fd}`),
    fdFlags: getFdFlags(fd),
    flags: getFlags(fd),
  };
}

Deno.test(
  "atFdNumber registers an epoll target under a free number and frees it again",
  leakChecked(() => {
    const ep = epollCreate1(EPOLL.CLOEXEC);
    const ev = eventfd(0, O.CLOEXEC);
    const n = freeNumberAbove(600);
    try {
      const got = atFdNumber(ev, n, (k) => {
        epollCtl(ep, EPOLL.CTL_ADD, k, EPOLLIN, 7n);
        return k;
      });
      assert.equal(got, n);
      assert.deepEqual(epollTargets(ep), [n]);
      assert.equal(openFds().includes(n), false);
    } finally {
      close(ev);
      close(ep);
    }
  }),
);

Deno.test(
  "atFdNumber puts back the very description and FD_CLOEXEC of a busy number",
  leakChecked(() => {
    const ep = epollCreate1(EPOLL.CLOEXEC);
    const ev = eventfd(0, O.CLOEXEC);
    const path = Deno.makeTempFileSync();
    Deno.writeFileSync(path, new Uint8Array(8192));
    const mine = open(path, O.RDONLY); // no close-on-exec
    const n = freeNumberAbove(700);
    try {
      dup2(mine, n);
      close(mine);
      lseek(n, 4096n, SEEK.SET);
      const before = identity(n);
      atFdNumber(ev, n, (k) => epollCtl(ep, EPOLL.CTL_ADD, k, EPOLLIN, 1n));
      assert.deepEqual(epollTargets(ep), [n]);
      assert.deepEqual(identity(n), before);
      assert.equal(before.fdFlags, 0);
      assert.equal(lseek(n, 0n, SEEK.CUR), 4096n); // same description, not a reopen
    } finally {
      close(n);
      close(ev);
      close(ep);
      Deno.removeSync(path);
    }
  }),
);

Deno.test(
  "atFdNumber leaves a Deno runtime fd intact after registering under its number",
  leakChecked(() => {
    const runtime = openFds().find((fd) => fd > 2);
    assert.ok(runtime !== undefined, "deno holds fds above 2");
    const ep = epollCreate1(EPOLL.CLOEXEC);
    const ev = eventfd(0, O.CLOEXEC);
    try {
      const before = identity(runtime);
      atFdNumber(ev, runtime, (k) => epollCtl(ep, EPOLL.CTL_ADD, k, EPOLLIN, 2n), 900);
      assert.deepEqual(identity(runtime), before);
      assert.deepEqual(epollTargets(ep), [runtime]);
      assert.notEqual(identity(runtime).link, "anon_inode:[eventfd]");
    } finally {
      close(ev);
      close(ep);
    }
  }),
);

Deno.test(
  "atFdNumber restores the number when the call throws",
  leakChecked(() => {
    const ev = eventfd(0, O.CLOEXEC);
    const busy = open("/dev/null", O.RDONLY | O.CLOEXEC);
    try {
      const before = identity(busy);
      assert.throws(
        () => atFdNumber(ev, busy, () => epollCtl(ev, EPOLL.CTL_ADD, busy, EPOLLIN, 0n)),
        /epoll_ctl\(.*\): EINVAL/,
      );
      assert.deepEqual(identity(busy), before);
    } finally {
      close(busy);
      close(ev);
    }
  }),
);
