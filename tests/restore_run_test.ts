/** Running a restored program: foreground status, signals passed on, detaching. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { FDRESTORE, runCli } from "./support/cli.ts";
import { REPO_ROOT } from "./support/corpus.ts";
import { procInfo } from "./support/tree_fixture.ts";

const SAMPLE = join(REPO_ROOT, "samples", "sleeper", "images");

function prepareSample(): void {
  assert.ok(new Deno.Command(join(REPO_ROOT, "scripts", "prepare_sample.sh")).outputSync().success);
}

Deno.test("in the foreground fdrestore exits with the program's status", async () => {
  prepareSample();
  const r = await runCli(["restore", "-D", SAMPLE, "--", "/bin/sh", "-c", "exit 7"]);
  assert.equal(r.code, 7, r.stderr);
});

Deno.test("SIGTERM to a waiting fdrestore reaches the program, whose death becomes 128+15", async () => {
  prepareSample();
  const child = new Deno.Command(FDRESTORE, {
    args: ["restore", "-D", SAMPLE, "--", "/bin/sleep", "30"],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  // Wait until the program runs (fdrestore's child is sleep, not a helper).
  const until = Date.now() + 10_000;
  let program = 0;
  while (!program && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 50));
    try {
      program = Number(
        Deno.readTextFileSync(`/proc/${child.pid}/task/${child.pid}/children`).trim(),
      );
    } catch {
      break;
    }
  }
  assert.ok(program > 0, "the program never started");
  await new Promise((r) => setTimeout(r, 200)); // let fdrestore reach its wait
  child.kill("SIGTERM");
  const st = await child.status;
  assert.equal(st.code, 143);
  // Had fdrestore died of the signal itself, the program would still be sleeping.
  let state = "";
  try {
    const stat = Deno.readTextFileSync(`/proc/${program}/stat`);
    state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  } catch {
    state = "gone";
  }
  assert.ok(state === "gone" || state === "Z", `the program is still there (${state})`);
});

Deno.test("-d returns at once; the pid file names the running program with the restored fds", async () => {
  prepareSample();
  const dir = Deno.makeTempDirSync();
  try {
    const r = await runCli([
      "restore",
      "-D",
      SAMPLE,
      "-d",
      "--pidfile",
      join(dir, "pid"),
      "--",
      "/bin/sleep",
      "30",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const pid = Number(Deno.readTextFileSync(join(dir, "pid")));
    try {
      const info = procInfo(pid);
      assert.deepEqual([...info.fds.keys()].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 10]);
      assert.equal(info.fds.get(3), "/tmp/fdrestore-sample/data/notes.txt");
      // The offset of fd 3 and the shared description of fds 4 and 6 come back.
      assert.match(Deno.readTextFileSync(`/proc/${pid}/fdinfo/3`), /^pos:\s+6$/m);
      assert.equal(info.fds.get(4), info.fds.get(6));
      assert.equal(info.sid, pid, "the root was a session leader");
    } finally {
      Deno.kill(pid, "SIGKILL");
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("--cloexec=honor leaves out the fds flagged close-on-exec", async () => {
  prepareSample();
  const dir = Deno.makeTempDirSync();
  try {
    const pidfile = join(dir, "pid");
    const r = await runCli([
      "restore",
      "-D",
      SAMPLE,
      "--cloexec=honor",
      "-d",
      "--pidfile",
      pidfile,
      "--",
      "/bin/sleep",
      "30",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const pid = Number(Deno.readTextFileSync(pidfile));
    try {
      // fd 6 (a dup of the pipe's read end) was the only close-on-exec fd.
      assert.deepEqual([...procInfo(pid).fds.keys()].sort((a, b) => a - b), [
        0,
        1,
        2,
        3,
        4,
        5,
        7,
        8,
        10,
      ]);
    } finally {
      Deno.kill(pid, "SIGKILL");
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
