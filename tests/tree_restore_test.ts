import assert from "node:assert/strict";
import {
  killAll,
  marker,
  processesWith,
  processesWithEnv,
  procInfo,
  restoreTree,
  type TaskSpec,
} from "./support/tree_fixture.ts";

Deno.test("a 4-level tree keeps its shape, groups, shared table and pipes across levels", async () => {
  const tasks: TaskSpec[] = [
    { pid: 100, ppid: 0, fds: { 0: "null", 1: "out", 3: "p1r" } },
    { pid: 101, ppid: 100, pgid: 101, fds: { 0: "null", 1: "out", 5: "p2r" } },
    { pid: 102, ppid: 101, pgid: 101, fds: { 0: "null", 6: "p2w", 9: "out" } },
    { pid: 103, ppid: 102, pgid: 101, fds: { 0: "null", 4: "p1w" } },
    // Shares its parent's table, as after clone(CLONE_FILES).
    { pid: 104, ppid: 100, filesId: 100, fds: {} },
  ];
  const files = {
    null: { null: "r" as const },
    out: { null: "w" as const },
    p1r: { pipe: 7001, end: "r" as const },
    p1w: { pipe: 7001, end: "w" as const },
    p2r: { pipe: 7002, end: "r" as const },
    p2w: { pipe: 7002, end: "w" as const },
  };
  const program = marker();
  const { code, stderr, pids } = await restoreTree(tasks, files, program);
  try {
    assert.equal(code, 0, stderr);
    assert.deepEqual([...pids.keys()].sort(), [100, 101, 102, 103, 104]);
    const info = new Map([...pids].map(([old, now]) => [old, procInfo(now)]));
    // Parents are the restored parents, not fdrestore.
    for (const t of tasks.slice(1)) {
      assert.equal(info.get(t.pid)!.ppid, pids.get(t.ppid), `ppid of ${t.pid}`);
    }
    // 100 leads the session and its group; 101 leads a group that 102 and 103 joined.
    assert.equal(info.get(100)!.sid, pids.get(100));
    assert.equal(info.get(100)!.pgid, pids.get(100));
    for (const old of [101, 102, 103]) {
      assert.equal(info.get(old)!.pgid, pids.get(101), `pgid of ${old}`);
    }
    assert.equal(info.get(104)!.pgid, pids.get(100));
    // Exactly the dumped fd numbers.
    const fdsOf = (old: number) => [...info.get(old)!.fds.keys()].sort((a, b) => a - b);
    assert.deepEqual(fdsOf(100), [0, 1, 3]);
    assert.deepEqual(fdsOf(101), [0, 1, 5]);
    assert.deepEqual(fdsOf(102), [0, 6, 9]);
    assert.deepEqual(fdsOf(103), [0, 4]);
    assert.deepEqual(fdsOf(104), [0, 1, 3]);
    // Pipes cross levels: the same pipe in the root and the great-grandchild.
    const link = (old: number, fd: number) => info.get(old)!.fds.get(fd);
    assert.match(link(100, 3)!, /^pipe:\[\d+\]$/);
    assert.equal(link(100, 3), link(103, 4));
    assert.equal(link(101, 5), link(102, 6));
    assert.notEqual(link(100, 3), link(101, 5));
    assert.equal(link(104, 3), link(100, 3));
  } finally {
    killAll(pids.values());
  }
});

Deno.test("a task that cannot start deep in the tree fails the restore and leaves no task behind", async () => {
  const tasks: TaskSpec[] = [
    { pid: 200, ppid: 0, fds: { 0: "null" } },
    { pid: 201, ppid: 200, fds: { 0: "null" } },
    { pid: 202, ppid: 201, fds: { 0: "null" } },
    { pid: 203, ppid: 202, cwd: "/nonexistent/fdrestore-test-dir", fds: { 0: "null" } },
    { pid: 204, ppid: 200, fds: { 0: "null" } },
  ];
  const program = marker();
  const { code, stderr, pids } = await restoreTree(tasks, { null: { null: "r" } }, program);
  killAll(pids.values());
  assert.equal(code, 125, stderr);
  const lines = stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, stderr);
  assert.match(
    lines[0],
    /^fdrestore: error: task 203: cannot enter its cwd \/nonexistent\/fdrestore-test-dir: No such file or directory$/,
  );
  assert.equal(pids.size, 0, "no pid map is written for a failed restore");
  // Every task started before the failure was killed and reaped.
  assert.deepEqual(processesWith(program[1]), []);
});

Deno.test("a restore that fails once a tree's helpers have started leaves none of them behind", async () => {
  // 300 and 301 have children: their helpers start as soon as the tree is read,
  // before the unmatched key (checked after the images) fails the restore.
  const tasks: TaskSpec[] = [
    { pid: 300, ppid: 0, fds: { 0: "null" } },
    { pid: 301, ppid: 300, fds: { 0: "null" } },
    { pid: 302, ppid: 301, fds: { 0: "null" } },
  ];
  const tag = `${crypto.getRandomValues(new Uint32Array(1))[0]}`;
  const { code, stderr, pids } = await restoreTree(tasks, { null: { null: "r" } }, marker(), {
    args: ["-v4", "--inherit-fd-strict", "--inherit-fd", "fd[0]:no/such/key"],
    env: { FDRESTORE_TREE_TEST: tag },
  });
  killAll(pids.values());
  assert.notEqual(code, 0, stderr);
  assert.match(stderr, /task 300: its tree's helpers start before the files are read/);
  assert.match(stderr, /no\/such\/key/);
  assert.equal(pids.size, 0, "no pid map is written for a failed restore");
  // The helpers (started with fdrestore's environment) were killed and reaped.
  assert.deepEqual(processesWithEnv(`FDRESTORE_TREE_TEST=${tag}`), []);
});

Deno.test("a tree of 200 tasks is restored with every parent in place", async () => {
  const tasks: TaskSpec[] = [{ pid: 1000, ppid: 0, fds: { 0: "null" } }];
  for (let i = 0; i < 14 && tasks.length < 200; i++) {
    const mid = 1001 + i * 20;
    tasks.push({ pid: mid, ppid: 1000, fds: { 0: "null", 1: "out" } });
    for (let j = 1; j <= 14 && tasks.length < 200; j++) {
      tasks.push({ pid: mid + j, ppid: mid, fds: { 1: "out" } });
    }
  }
  assert.equal(tasks.length, 200);
  const program = marker();
  const t0 = performance.now();
  const { code, stderr, pids } = await restoreTree(tasks, {
    null: { null: "r" },
    out: { null: "w" },
  }, program);
  const ms = performance.now() - t0;
  try {
    assert.equal(code, 0, stderr);
    assert.equal(pids.size, 200);
    for (const t of tasks.slice(1)) assert.equal(procInfo(pids.get(t.pid)!).ppid, pids.get(t.ppid));
    console.log(`200 tasks restored in ${ms.toFixed(0)} ms`);
  } finally {
    killAll(pids.values());
  }
});
