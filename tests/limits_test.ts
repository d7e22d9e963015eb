/** RLIMIT_NOFILE against the fd table, through the real command. */
import assert from "node:assert/strict";
import { getrlimit, RLIMIT_NOFILE } from "../src/sys/mod.ts";
import { runCli } from "./support/cli.ts";
import { writeTreeCheckpoint } from "./support/tree_fixture.ts";

Deno.test("a table with an fd above the hard RLIMIT_NOFILE fails early, naming the fd", async () => {
  const hard = Number(getrlimit(RLIMIT_NOFILE).max);
  if (hard >= 1048576) return console.log("skipped: the hard limit reaches nr_open here");
  const dir = Deno.makeTempDirSync({ prefix: "fdrestore-limit-" });
  try {
    const fd = hard + 5;
    writeTreeCheckpoint(dir, [{ pid: 10, ppid: 0, fds: { 0: "n", [fd]: "n" } }], {
      n: { null: "r" },
    });
    // Raising a hard limit needs CAP_SYS_RESOURCE, which this machine does not give.
    const r = await runCli(["check", "-D", dir]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `^fdrestore: error: fd ${fd} of task 10: RLIMIT_NOFILE is ${hard} \\(hard ${hard}\\)`,
      ),
    );
    assert.equal(r.stderr.trimEnd().split("\n").length, 1);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
