/** What a root fdrestore must never offer or leave behind. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { FDRESTORE } from "./support/cli.ts";
import { REPO_ROOT } from "./support/corpus.ts";
import { processesWith, writeTreeCheckpoint } from "./support/tree_fixture.ts";

const SAMPLE = join(REPO_ROOT, "samples", "sleeper", "images");

/** Listening TCP ports on this machine (IPv4 and IPv6), from /proc. */
function listeningPorts(): Set<number> {
  const ports = new Set<number>();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of Deno.readTextFileSync(file).split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 3 && f[3] === "0A") ports.add(parseInt(f[1].split(":")[1], 16));
    }
  }
  return ports;
}

function childOf(pid: number): number {
  return Number(Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`).trim().split(" ")[0]);
}

Deno.test("SIGUSR1 to a waiting fdrestore opens no inspector port and changes nothing", async () => {
  assert.ok(new Deno.Command(join(REPO_ROOT, "scripts", "prepare_sample.sh")).outputSync().success);
  assert.ok(!listeningPorts().has(9229), "something else listens on 9229 already");
  const proc = new Deno.Command(FDRESTORE, {
    args: ["restore", "-D", SAMPLE, "--", "/bin/sleep", "30"],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  try {
    // Past the moment (~500 ms) Deno installs its SIGUSR1 handler.
    await new Promise((r) => setTimeout(r, 1500));
    const program = childOf(proc.pid);
    assert.ok(program > 0);
    Deno.kill(proc.pid, "SIGUSR1");
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(!listeningPorts().has(9229), "fdrestore opened the inspector");
    // Both still there: fdrestore waits, the program runs.
    assert.equal(childOf(proc.pid), program);
  } finally {
    proc.kill("SIGTERM");
  }
  const out = await proc.output();
  assert.equal(out.code, 143, new TextDecoder().decode(out.stderr));
});

Deno.test("SIGTERM in the middle of a tree restore kills every task it started", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "fdrestore-interrupt-" });
  const marker = `1000.${crypto.getRandomValues(new Uint32Array(1))[0]}`;
  try {
    writeTreeCheckpoint(dir, [
      { pid: 300, ppid: 0, fds: { 0: "null" } },
      { pid: 301, ppid: 300, fds: { 0: "null" } },
      { pid: 302, ppid: 301, fds: { 0: "null" } },
      { pid: 303, ppid: 300, fds: { 0: "null" } },
    ], { null: { null: "r" } });
    const proc = new Deno.Command(FDRESTORE, {
      args: ["restore", "-D", dir, "--pid-map", join(dir, "pids.json"), "--", "/bin/sleep", marker],
      env: { FDRESTORE_TEST_PAUSE_MS: "5000" }, // held after every task started
      stdout: "null",
      stderr: "piped",
    }).spawn();
    // The tasks, not fdrestore itself (its own command line names the program too).
    const tasks = () => processesWith(marker).filter((p) => p !== proc.pid);
    const until = Date.now() + 10_000;
    while (tasks().length < 4 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    assert.equal(tasks().length, 4, "the tree never started");
    proc.kill("SIGTERM");
    const out = await proc.output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 1, stderr);
    assert.equal(
      stderr,
      "fdrestore: error: restore interrupted by SIGTERM; every started task was killed\n",
    );
    assert.deepEqual(processesWith(marker), []);
    assert.throws(
      () => Deno.statSync(join(dir, "pids.json")),
      "no pid map for a restore that did not finish",
    );
  } finally {
    for (const pid of processesWith(marker)) Deno.kill(pid, "SIGKILL");
    Deno.removeSync(dir, { recursive: true });
  }
});
