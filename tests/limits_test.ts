/** RLIMIT_NOFILE against the fd table, through the real command. */
import assert from "node:assert/strict";
import { getrlimit, RLIMIT_NOFILE } from "../src/sys/mod.ts";
import { join } from "node:path";
import { type CliResult, FDRESTORE, runCli } from "./support/cli.ts";
import { processesWith, procInfo, writeTreeCheckpoint } from "./support/tree_fixture.ts";

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

/** Runs fdrestore with RLIMIT_NOFILE set to `limit` (soft and hard) by prlimit. */
async function runLimited(limit: number, args: string[]): Promise<CliResult> {
  const out = await new Deno.Command("prlimit", {
    args: [`--nofile=${limit}:${limit}`, FDRESTORE, ...args],
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("a table of more fds than half of RLIMIT_NOFILE checks and restores, tree and all", async () => {
  const limit = 1000;
  const count = 600; // fds 0..599, each its own open of /dev/null: 1,265 were needed before
  const fds: Record<number, string> = {};
  const files: Record<string, { null: "r" }> = {};
  for (let fd = 0; fd < count; fd++) {
    fds[fd] = `n${fd}`;
    files[`n${fd}`] = { null: "r" };
  }
  const dir = Deno.makeTempDirSync({ prefix: "fdrestore-limit-" });
  const marker = `1000.${crypto.getRandomValues(new Uint32Array(1))[0]}`;
  try {
    // A parent (started through a helper) and its child, on the same 600 files.
    writeTreeCheckpoint(dir, [
      { pid: 10, ppid: 0, fds },
      { pid: 11, ppid: 10, fds },
    ], files);
    const check = await runLimited(limit, ["check", "-D", dir]);
    assert.equal(check.code, 0, check.stderr);
    assert.equal(check.stdout, `check: 2 task(s), ${2 * count} fds: every file opens\n`);
    const map = join(dir, "pids.json");
    const r = await runLimited(limit, [
      "restore",
      "-D",
      dir,
      "-d",
      "--pid-map",
      map,
      "--",
      "/bin/sleep",
      marker,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const pids = JSON.parse(Deno.readTextFileSync(map)) as Record<string, number>;
    try {
      for (const old of ["10", "11"]) {
        const table = procInfo(pids[old]).fds;
        assert.deepEqual([...table.keys()].sort((a, b) => a - b), Object.keys(fds).map(Number));
        assert.ok([...table.values()].every((p) => p === "/dev/null"), `task ${old}`);
      }
    } finally {
      for (const pid of processesWith(marker)) Deno.kill(pid, "SIGKILL");
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
