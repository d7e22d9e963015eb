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
    assert.equal(out.code, 125, stderr);
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

/** Runs fdrestore as `nobody` (setpriv), with a Deno cache of its own. */
async function asNobody(args: string[], home: string): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command("setpriv", {
    args: ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", FDRESTORE, ...args],
    env: { HOME: home, DENO_DIR: join(home, "deno"), NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

function canBecomeNobody(): boolean {
  if (Deno.uid() !== 0) return false;
  try {
    return new Deno.Command("setpriv", { args: ["--version"], stdout: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}

Deno.test("an ordinary user restores a tree of what that user may open", async () => {
  if (!canBecomeNobody()) {
    return void console.log("skipped: restore as nobody: needs root and setpriv");
  }
  const home = Deno.makeTempDirSync({ prefix: "fdrestore-nobody-" });
  Deno.chmodSync(home, 0o777);
  const marker = `1000.${crypto.getRandomValues(new Uint32Array(1))[0]}`;
  try {
    writeTreeCheckpoint(home, [
      { pid: 400, ppid: 0, cwd: "/tmp", fds: { 0: "null", 3: "pr" } },
      { pid: 401, ppid: 400, cwd: "/tmp", fds: { 0: "null", 4: "pw" } },
    ], { null: { null: "r" }, pr: { pipe: 9401, end: "r" }, pw: { pipe: 9401, end: "w" } });
    const r = await asNobody([
      "restore",
      "-D",
      home,
      "-d",
      "--pid-map",
      join(home, "pids.json"),
      "--",
      "/bin/sleep",
      marker,
    ], home);
    assert.equal(r.code, 0, r.stderr);
    const pids: Record<string, number> = JSON.parse(Deno.readTextFileSync(join(home, "pids.json")));
    for (const pid of Object.values(pids)) {
      assert.match(Deno.readTextFileSync(`/proc/${pid}/status`), /^Uid:\s+65534\s/m);
    }
    assert.equal(
      Deno.readLinkSync(`/proc/${pids[400]}/fd/3`),
      Deno.readLinkSync(`/proc/${pids[401]}/fd/4`),
    );
  } finally {
    for (const pid of processesWith(marker)) Deno.kill(pid, "SIGKILL");
    Deno.removeSync(home, { recursive: true });
  }
});

Deno.test("a file the user may not open fails the restore with its name and EACCES", async () => {
  if (!canBecomeNobody()) {
    return void console.log("skipped: restore as nobody: needs root and setpriv");
  }
  assert.ok(new Deno.Command(join(REPO_ROOT, "scripts", "prepare_sample.sh")).outputSync().success);
  const home = Deno.makeTempDirSync({ prefix: "fdrestore-nobody-" });
  Deno.chmodSync(home, 0o777);
  try {
    const r = await asNobody(["restore", "-D", SAMPLE, "--", "/bin/true"], home);
    assert.equal(r.code, 125, r.stderr);
    assert.match(
      r.stderr,
      /^fdrestore: error: fd 1 of task 4848: .*data\/out\.log.*(Permission denied)/,
    );
  } finally {
    Deno.removeSync(home, { recursive: true });
    assert.ok(
      new Deno.Command(join(REPO_ROOT, "scripts", "prepare_sample.sh")).outputSync().success,
    );
  }
});

Deno.test("two restores at the same time keep their files apart", async () => {
  const dirs = [0, 1].map(() => Deno.makeTempDirSync({ prefix: "fdrestore-twice-" }));
  const marker = `1000.${crypto.getRandomValues(new Uint32Array(1))[0]}`;
  try {
    // The same dump twice: equal pids, pipe ids and fd numbers in both.
    for (const dir of dirs) {
      writeTreeCheckpoint(dir, [
        { pid: 500, ppid: 0, fds: { 0: "null", 3: "pr" } },
        { pid: 501, ppid: 500, fds: { 0: "null", 4: "pw" } },
        { pid: 502, ppid: 501, fds: { 5: "pr" } },
      ], { null: { null: "r" }, pr: { pipe: 9501, end: "r" }, pw: { pipe: 9501, end: "w" } });
    }
    const results = await Promise.all(dirs.map((dir) =>
      new Deno.Command(FDRESTORE, {
        args: [
          "restore",
          "-D",
          dir,
          "-d",
          "--pid-map",
          join(dir, "pids.json"),
          "--",
          "/bin/sleep",
          marker,
        ],
        stdout: "null",
        stderr: "piped",
      }).output()
    ));
    for (const r of results) assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
    const maps = dirs.map((d) =>
      JSON.parse(Deno.readTextFileSync(join(d, "pids.json"))) as Record<string, number>
    );
    const pipe = (m: Record<string, number>, old: number, fd: number) =>
      Deno.readLinkSync(`/proc/${m[old]}/fd/${fd}`);
    for (const m of maps) {
      assert.equal(pipe(m, 500, 3), pipe(m, 501, 4));
      assert.equal(pipe(m, 500, 3), pipe(m, 502, 5));
    }
    assert.notEqual(pipe(maps[0], 500, 3), pipe(maps[1], 500, 3));
    assert.notEqual(maps[0]["500"], maps[1]["500"]);
  } finally {
    for (const pid of processesWith(marker)) Deno.kill(pid, "SIGKILL");
    for (const dir of dirs) Deno.removeSync(dir, { recursive: true });
  }
});
