import assert from "node:assert/strict";
import {
  killAll,
  marker,
  processesWith,
  restoreTree,
  type TaskSpec,
} from "./support/tree_fixture.ts";

/** The `Pid:` line of a restored pidfd: the pid it refers to now (-1: ended). */
function pidfdTarget(pid: number, fd: number): number {
  const info = Deno.readTextFileSync(`/proc/${pid}/fdinfo/${fd}`);
  const m = info.match(/^Pid:\s+(-?\d+)$/m);
  assert.ok(m, `fd ${fd} of ${pid} is no pidfd:\n${info}`);
  return Number(m[1]);
}

function statusFlags(pid: number, fd: number): number {
  const info = Deno.readTextFileSync(`/proc/${pid}/fdinfo/${fd}`);
  return parseInt(info.match(/^flags:\s+([0-7]+)$/m)![1], 8);
}

Deno.test("pidfds refer to the restored pids of their targets, never to a host process with the dumped pid", async () => {
  // The child's dumped pid is this test's own: a live process of this host.
  const child = Deno.pid;
  const tasks: TaskSpec[] = [
    {
      pid: 100,
      ppid: 0,
      fds: {
        0: "null",
        3: "self",
        4: "child",
        5: "grand",
        6: "endedA1",
        7: "endedA2",
        8: "endedB",
      },
    },
    // fd 4 is the root's fd 4 too (inherited across fork): it opens it for itself.
    { pid: child, ppid: 100, fds: { 0: "null", 3: "parent", 4: "child" } },
    { pid: 102, ppid: child, fds: { 0: "null" } },
  ];
  const files = {
    null: { null: "r" as const },
    self: { pidfd: 100 },
    child: { pidfd: child },
    grand: { pidfd: 102 },
    parent: { pidfd: 100 },
    // Two pidfds of one process that had ended, one of another (O_NONBLOCK).
    endedA1: { pidfd: -1, ino: 5000 },
    endedA2: { pidfd: -1, ino: 5000 },
    endedB: { pidfd: -1, ino: 5001, flags: 0o4000 },
  };
  const { code, stderr, pids } = await restoreTree(tasks, files, marker());
  try {
    assert.equal(code, 0, stderr);
    const root = pids.get(100)!;
    assert.equal(Deno.readLinkSync(`/proc/${root}/fd/4`), "anon_inode:[pidfd]");
    assert.equal(pidfdTarget(root, 3), root);
    assert.equal(pidfdTarget(root, 4), pids.get(child));
    assert.notEqual(pidfdTarget(root, 4), child);
    assert.equal(pidfdTarget(root, 5), pids.get(102));
    assert.equal(pidfdTarget(pids.get(child)!, 3), root);
    assert.equal(pidfdTarget(pids.get(child)!, 4), pids.get(child));
    for (const fd of [6, 7, 8]) assert.equal(pidfdTarget(root, fd), -1, `fd ${fd}`);
    // pidfs gives each process one inode: A1 and A2 share one ended process, B has its own.
    const ino = (fd: number) => Deno.statSync(`/proc/${root}/fd/${fd}`).ino;
    assert.equal(ino(6), ino(7));
    assert.notEqual(ino(6), ino(8));
    assert.equal(statusFlags(root, 8) & 0o4000, 0o4000);
    assert.equal(statusFlags(root, 6) & 0o4000, 0);
  } finally {
    killAll(pids.values());
  }
});

Deno.test("a pidfd of a process outside the images is refused, naming the task and fd", async () => {
  const tasks: TaskSpec[] = [{ pid: 300, ppid: 0, fds: { 0: "null", 4: "outside" } }];
  const program = marker();
  const { code, stderr, pids } = await restoreTree(tasks, {
    null: { null: "r" },
    outside: { pidfd: Deno.pid },
  }, program);
  killAll(pids.values());
  assert.equal(code, 125, stderr);
  assert.equal(
    stderr,
    `fdrestore: error: fd 4 of task 300: pidfd id 0x65 (files.img) refers to pid ${Deno.pid}, ` +
      `which is not a task of the images (criu dumps pidfds of its tree only)\n`,
  );
  assert.deepEqual(processesWith(program[1]), []);
});

Deno.test("a pidfd of a sibling is refused as not supported, naming the task and fd", async () => {
  const tasks: TaskSpec[] = [
    { pid: 400, ppid: 0, fds: { 0: "null" } },
    { pid: 401, ppid: 400, fds: { 0: "null", 3: "sibling" } },
    { pid: 402, ppid: 400, fds: { 0: "null" } },
  ];
  const program = marker();
  const { code, stderr, pids } = await restoreTree(tasks, {
    null: { null: "r" },
    sibling: { pidfd: 402 },
  }, program);
  killAll(pids.values());
  assert.equal(code, 125, stderr);
  assert.equal(
    stderr,
    "fdrestore: error: fd 3 of task 401: pidfd id 0x65 (files.img) refers to task 402, " +
      "neither this task, an ancestor nor a descendant of it: not supported yet\n",
  );
  assert.deepEqual(processesWith(program[1]), []);
});
