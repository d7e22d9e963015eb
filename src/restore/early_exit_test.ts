import assert from "node:assert/strict";
import { spawn, waitpid } from "../sys/mod.ts";
import { IdleWatch, watchFirstMoments } from "./early_exit.ts";

const isZombie = (pid: number) => () => {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  return stat[stat.lastIndexOf(")") + 2] === "Z";
};

const start = (script: string) =>
  spawn({
    path: "/bin/sh",
    argv: ["sh", "-c", script],
    env: [],
    fds: new Map([[0, 0], [1, 1], [2, 2]]),
  });

Deno.test("watchFirstMoments names a task that failed at once and leaves the root's status to its waiter", async () => {
  const root = start("sleep 30");
  const failed = start("exit 3");
  const killed = start("kill -SEGV $$");
  const fine = start("exit 0");
  try {
    const ends = await watchFirstMoments(
      new Map([[10, root], [11, failed], [12, killed], [13, fine]]),
      isZombie(root),
      2000,
    );
    assert.deepEqual(ends, [
      { old: 11, pid: failed, how: "exited with status 3" },
      { old: 12, pid: killed, how: "was killed by signal 11" },
    ]);
    // Not reaped: the waiter still gets the status.
    assert.deepEqual(waitpid(failed), { exited: true, code: 3, signal: null });
  } finally {
    for (const pid of [root, killed, fine]) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
      waitpid(pid);
    }
  }
});

Deno.test("watchFirstMoments stops when told to (the root ended), and reports it", async () => {
  const root = start("exit 7");
  const ends = await watchFirstMoments(new Map([[1, root]]), isZombie(root), 60_000);
  assert.deepEqual(ends, [{ old: 1, pid: root, how: "exited with status 7" }]);
  waitpid(root);
});

const pause = () => new Promise((r) => setTimeout(r, 10));

Deno.test("IdleWatch settles once a task sleeps without using CPU, never while one spins", async () => {
  const sleeper = start("exec sleep 30");
  const spinner = start("while :; do :; done");
  const ended = start("exit 0");
  try {
    const both = new IdleWatch([sleeper, spinner, ended]);
    for (let i = 0; i < 10; i++, await pause()) assert.equal(both.settled(), false, `look ${i}`);
    const alone = new IdleWatch([sleeper, ended]);
    let looks = 1;
    while (!alone.settled()) {
      assert.ok(++looks < 100, "the sleeper never settled");
      await pause();
    }
  } finally {
    for (const pid of [sleeper, spinner]) Deno.kill(pid, "SIGKILL");
    for (const pid of [sleeper, spinner, ended]) waitpid(pid);
  }
});

Deno.test("watchFirstMoments until idle stops once the rest wait idle, naming the task that failed", async () => {
  const root = start("exec sleep 30");
  const failed = start("exit 3");
  let looks = 0;
  try {
    const ends = await watchFirstMoments(
      new Map([[1, root], [2, failed]]),
      () => {
        looks++;
        return false;
      },
      60_000,
      true,
    );
    assert.deepEqual(ends, [{ old: 2, pid: failed, how: "exited with status 3" }]);
    assert.ok(looks < 1000, `it watched to the deadline (${looks} looks)`);
  } finally {
    Deno.kill(root, "SIGKILL");
    waitpid(root);
    waitpid(failed);
  }
});
