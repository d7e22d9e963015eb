/**
 * Exit codes a caller can trust: a restore that waits exits with its
 * program's status, so its own failures use the band of env(1), nice(1) and
 * timeout(1): 125 fdrestore failed, 126 the program cannot be run, 127 it is
 * not found. show, decode and check keep their own codes (1-6).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "./support/cli.ts";
import { REPO_ROOT } from "./support/corpus.ts";
import { processesWith, writeTreeCheckpoint } from "./support/tree_fixture.ts";

const SAMPLE = join(REPO_ROOT, "samples", "sleeper", "images");

function prepareSample(): void {
  assert.ok(new Deno.Command(join(REPO_ROOT, "scripts", "prepare_sample.sh")).outputSync().success);
}

Deno.test("a waited program's status 1 to 5 is its own, fdrestore's own failures are 125", async () => {
  prepareSample();
  for (let status = 1; status <= 5; status++) {
    const r = await runCli(["restore", "-D", SAMPLE, "--", "/bin/sh", "-c", `exit ${status}`]);
    assert.equal(r.code, status, r.stderr);
    assert.doesNotMatch(r.stderr, /error/, "the program's failure is not fdrestore's");
  }
  const failures: [string[], RegExp][] = [
    [["-D", "/nonexistent/images"], /^fdrestore: error: .*\/nonexistent\/images/], // an image error (3)
    [["-D", SAMPLE, "--no-such-option"], /^fdrestore: error: .*--no-such-option/], // usage (2)
    [["-D", SAMPLE, "--inherit-fd", "fd[x]:pipe:[1]"], /^fdrestore: error: /], // inherit (4)
    [["-D", SAMPLE, "--pid", "999999"], /^fdrestore: error: no task 999999 in /],
  ];
  for (const [args, message] of failures) {
    const r = await runCli(["restore", ...args, "--", "/bin/sh", "-c", "exit 3"]);
    assert.equal(r.code, 125, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});

Deno.test("check and show keep their own codes, and name a missing task alike", async () => {
  prepareSample();
  assert.equal((await runCli(["check", "-D", "/nonexistent/images"])).code, 3);
  for (const command of ["show", "check"]) {
    const r = await runCli([command, "-D", SAMPLE, "--pid", "999999"]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr, `fdrestore: error: no task 999999 in ${SAMPLE}/pstree.img\n`);
  }
});

Deno.test("a program found but not runnable is 126, one not found 127 (a single task)", async () => {
  prepareSample();
  const cases: [string, number][] = [["/etc/hostname", 126], ["/nonexistent/program", 127]];
  for (const [program, code] of cases) {
    const r = await runCli(["restore", "-D", SAMPLE, "--", program]);
    assert.equal(r.code, code, r.stderr);
    assert.match(r.stderr, new RegExp(`^fdrestore: error: task 4848: cannot start ${program}: `));
  }
});

Deno.test("a program that a tree helper cannot exec is 126 or 127 too, and leaves no task", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "fdrestore-exit-" });
  try {
    writeTreeCheckpoint(dir, [
      { pid: 300, ppid: 0, fds: { 0: "null" } },
      { pid: 301, ppid: 300, fds: { 0: "null" } },
    ], { null: { null: "r" } });
    for (
      const [program, code] of [["/etc/hostname", 126], ["/nonexistent/program", 127]] as const
    ) {
      const mark = `exit-codes-${crypto.randomUUID()}`;
      // The leaf is spawned by its parent's helper: the code comes up through it.
      let r = await runCli(["restore", "-D", dir, "--", program, mark]);
      assert.equal(r.code, code, r.stderr);
      assert.match(r.stderr, new RegExp(`^fdrestore: error: task 301: cannot start ${program}: `));
      // The root's helper starts the leaf, then its own execve fails.
      r = await runCli([
        "restore",
        "-D",
        dir,
        "--exec",
        `300=${program}`,
        "--",
        "/bin/sleep",
        mark,
      ]);
      assert.equal(r.code, code, r.stderr);
      assert.match(r.stderr, new RegExp(`^fdrestore: error: task 300: execve\\(${program}\\): `));
      assert.deepEqual(processesWith(mark), [], "a task was left running");
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
