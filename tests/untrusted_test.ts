/**
 * `restore --untrusted` on a tree: every task needs a program from the caller
 * (`-- PROGRAM` or its own `--exec`), and the programs get fdrestore's
 * environment, never the one recorded in the images.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "./support/cli.ts";
import { REPO_ROOT } from "./support/corpus.ts";
import { processesWith, type TaskSpec, writeTreeCheckpoint } from "./support/tree_fixture.ts";

const TREE: TaskSpec[] = [
  { pid: 500, ppid: 0, fds: { 0: "null" } },
  { pid: 501, ppid: 500, fds: { 0: "null" } },
];

function prepareSample(): void {
  assert.ok(new Deno.Command(join(REPO_ROOT, "scripts", "prepare_sample.sh")).outputSync().success);
}

async function withTree(fn: (dir: string, mark: string) => Promise<void>): Promise<void> {
  prepareSample(); // the recorded program the images name must exist, to be refused for a reason
  const dir = Deno.makeTempDirSync({ prefix: "fdrestore-untrusted-" });
  const mark = `1000.${crypto.getRandomValues(new Uint32Array(1))[0]}`;
  try {
    writeTreeCheckpoint(dir, TREE, { null: { null: "r" } });
    await fn(dir, mark);
  } finally {
    for (const pid of processesWith(mark)) Deno.kill(pid, "SIGKILL");
    Deno.removeSync(dir, { recursive: true });
  }
}

Deno.test("--untrusted with an --exec for every task needs no -- PROGRAM, and the tasks get our environment", async () => {
  await withTree(async (dir, mark) => {
    const env = { PATH: "/usr/bin:/bin", UNTRUSTED_TEST: mark };
    const out = await runCli([
      "restore",
      "-D",
      dir,
      "--untrusted",
      "-d",
      "--exec",
      `500=/bin/sleep ${mark}`,
      "--exec",
      `501=/bin/sleep ${mark}`,
    ], { env });
    assert.equal(out.code, 0, out.stderr);
    const tasks = processesWith(mark);
    assert.equal(tasks.length, 2);
    for (const pid of tasks) {
      const environ = Deno.readTextFileSync(`/proc/${pid}/environ`).split("\0");
      assert.ok(environ.includes(`UNTRUSTED_TEST=${mark}`), `task ${pid}: ${environ}`);
      // The images' environment (scripts/prepare_sample.sh) names these:
      assert.ok(!environ.includes("FDRESTORE_PID=4848"), `task ${pid}: ${environ}`);
      assert.ok(!environ.includes("HOME=/nonexistent"), `task ${pid}: ${environ}`);
    }
  });
});

Deno.test("--untrusted refuses a task left to its recorded program, naming it, and starts nothing", async () => {
  await withTree(async (dir, mark) => {
    const out = await runCli([
      "restore",
      "-D",
      dir,
      "--untrusted",
      "-d",
      "--exec",
      `500=/bin/sleep ${mark}`,
    ]);
    assert.notEqual(out.code, 0);
    assert.match(
      out.stderr,
      /task 501 \(.*\): --untrusted starts no program recorded in the images/,
    );
    assert.equal(out.stderr.trim().split("\n").length, 1, out.stderr);
    assert.deepEqual(processesWith(mark), []);
  });
});

Deno.test("--untrusted with neither -- PROGRAM nor --exec is a usage error", async () => {
  const out = await runCli(["restore", "-D", "/nonexistent", "--untrusted"]);
  assert.equal(out.code, 125, out.stderr); // restore's usage errors are in its own band
  assert.match(out.stderr, /--untrusted needs -- PROGRAM or --exec PID=COMMAND/);
});
