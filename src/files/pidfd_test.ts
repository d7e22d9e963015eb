import assert from "node:assert/strict";
import { FD_TYPE, type FileOf, type Task } from "../model/mod.ts";
import { close, getFlags, O } from "../sys/mod.ts";
import { IN_TASK } from "./opener.ts";
import { pidfdOpener, pidfdsOfEndedProcess, related } from "./pidfd.ts";
import { fdinfo, firstFile, oneTask, testContext } from "./_test_utils.ts";

const fown = { uid: 0, euid: 0, signum: 0, pid_type: 0, pid: 0 };
const pidOf = (fd: number) => Number(fdinfo(fd).match(/^Pid:\s+(-?\d+)$/m)![1]);
const inode = (fd: number) => Deno.statSync(`/proc/self/fd/${fd}`).ino;

Deno.test("pidfds of an ended process refer to one reaped process", () => {
  const fds = pidfdsOfEndedProcess([0, O.NONBLOCK]);
  try {
    assert.equal(fds.length, 2);
    assert.equal(Deno.readLinkSync(`/proc/self/fd/${fds[0]}`), "anon_inode:[pidfd]");
    for (const fd of fds) assert.equal(pidOf(fd), -1);
    assert.equal(inode(fds[0]), inode(fds[1]));
    assert.equal(getFlags(fds[0]) & O.NONBLOCK, 0);
    assert.equal(getFlags(fds[1]) & O.NONBLOCK, O.NONBLOCK);
  } finally {
    for (const fd of fds) close(fd);
  }
});

/** A pidfd file (id = fd number) of the one task, pid 100. */
const pidfdFile = (id: number, nspid: number, ino: number, flags = 0) => ({
  id,
  type: FD_TYPE.PIDFD,
  payload: { id, ino, flags, nspid, fown },
  fds: [id],
});

Deno.test("pidfds of one dumped inode share an ended process; another inode gets its own", () => {
  const cp = oneTask([pidfdFile(4, -1, 77), pidfdFile(5, -1, 78), pidfdFile(6, -1, 77)]);
  const [a, b, c] = [...cp.files.values()] as FileOf<typeof FD_TYPE.PIDFD>[];
  const t = testContext(cp);
  try {
    const fdA = pidfdOpener.open(t.ctx, a) as number;
    t.staged.set(a, fdA);
    // Opening a handed over the other pidfd of inode 77, not the one of 78.
    assert.deepEqual([...t.staged.keys()], [c, a]);
    const fdB = pidfdOpener.open(t.ctx, b) as number;
    t.staged.set(b, fdB);
    const fdC = t.staged.get(c)!;
    for (const fd of [fdA, fdB, fdC]) assert.equal(pidOf(fd), -1);
    assert.equal(inode(fdA), inode(fdC));
    assert.notEqual(inode(fdA), inode(fdB));
  } finally {
    t.dispose();
  }
});

Deno.test("a live pidfd is left to the task that holds it, with its target's dumped pid", () => {
  const cp = oneTask([pidfdFile(4, 100, 9, O.NONBLOCK)]);
  const t = testContext(cp);
  const asked: [number, number, number][] = [];
  const ctx = {
    ...t.ctx,
    pidfdInTask: (f: { id: number }, pid: number, flags: number) =>
      void asked.push([f.id, pid, flags]),
  };
  try {
    assert.equal(pidfdOpener.open(ctx, firstFile(cp, FD_TYPE.PIDFD)), IN_TASK);
    assert.deepEqual(asked, [[4, 100, O.NONBLOCK]]);
    // Without a task to open it (fdrestore itself), it is refused, never opened on pid 100.
    assert.throws(() => pidfdOpener.open(t.ctx, firstFile(cp, FD_TYPE.PIDFD)), {
      message: "pidfd id 0x4 (files.img) can only be opened by a started task",
    });
  } finally {
    t.dispose();
  }
});

Deno.test("a pidfd of a pid that is no task of the images is refused", () => {
  const cp = oneTask([pidfdFile(4, 1, 9)]);
  const t = testContext(cp);
  try {
    assert.throws(() => pidfdOpener.open(t.ctx, firstFile(cp, FD_TYPE.PIDFD)), {
      message: "pidfd id 0x4 (files.img) refers to pid 1, which is not a task of the images " +
        "(criu dumps pidfds of its tree only)",
    });
  } finally {
    t.dispose();
  }
});

Deno.test("related: the task itself, its ancestors and descendants, nothing else", () => {
  const task = (pid: number, parent?: Task): Task => {
    const t: Task = {
      pid,
      ppid: parent?.pid ?? 0,
      pgid: 1,
      sid: 1,
      threads: [pid],
      state: 1,
      comm: "t",
      fds: [],
      children: [],
      parent,
    };
    parent?.children.push(t);
    return t;
  };
  const root = task(1);
  const a = task(2, root);
  const a1 = task(3, a);
  const b = task(4, root);
  assert.ok(related(a, a));
  assert.ok(related(a1, root));
  assert.ok(related(root, a1));
  assert.ok(!related(a, b));
  assert.ok(!related(a1, b));
});
