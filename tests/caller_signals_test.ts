/**
 * Signals from the caller's side: an ignore inherited from `nohup` is kept
 * (by fdrestore and by the program it starts), and SIGUSR1 at any moment of
 * a restore neither kills fdrestore nor opens Deno's inspector.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { FDRESTORE } from "./support/cli.ts";
import { REPO_ROOT } from "./support/corpus.ts";
import { processesWith, writeTreeCheckpoint } from "./support/tree_fixture.ts";

const SAMPLE = join(REPO_ROOT, "samples", "sleeper", "images");
const SIGHUP_BIT = 1n; // bit n-1 of SigIgn for signal n

function prepareSample(): void {
  assert.ok(new Deno.Command(join(REPO_ROOT, "scripts", "prepare_sample.sh")).outputSync().success);
}

function marker(): string {
  return `1000.${crypto.getRandomValues(new Uint32Array(1))[0]}`;
}

function sigIgn(pid: number): bigint {
  return BigInt(`0x${/^SigIgn:\s+(\w+)/m.exec(Deno.readTextFileSync(`/proc/${pid}/status`))![1]}`);
}

function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(Deno.readTextFileSync(`/proc/${pid}/status`));
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * The restored tasks: processes running /bin/sleep on `mark`. Not merely those
 * naming it: fdrestore does too, and so, for a moment, do the subshells of the
 * launcher script (scripts/fdrestore-dev), long before any restore started.
 */
function tasksWith(mark: string, fdrestore: number): number[] {
  return processesWith(mark).filter((p) => p !== fdrestore && runsSleep(p));
}

function runsSleep(pid: number): boolean {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/cmdline`).startsWith("/bin/sleep\0");
  } catch {
    return false;
  }
}

async function until(what: string, ok: () => boolean): Promise<void> {
  const end = Date.now() + 10_000;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Whether anything listens on TCP port `port` (IPv4 or IPv6), from /proc. */
function listening(port: number): boolean {
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of Deno.readTextFileSync(file).split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 3 && f[3] === "0A" && parseInt(f[1].split(":")[1], 16) === port) return true;
    }
  }
  return false;
}

Deno.test("under nohup, SIGHUP stops neither fdrestore nor its program, which keeps it ignored", async () => {
  prepareSample();
  const mark = marker();
  const proc = new Deno.Command("nohup", {
    stdin: "null",
    args: [FDRESTORE, "restore", "-D", SAMPLE, "--", "/bin/sleep", mark],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  try {
    await until("the program", () => tasksWith(mark, proc.pid).length === 1);
    const [task] = tasksWith(mark, proc.pid);
    assert.equal(sigIgn(task) & SIGHUP_BIT, SIGHUP_BIT, "the program does not ignore SIGHUP");
    await sleep(1000); // past Deno's own handler install (~500 ms after start)
    proc.kill("SIGHUP");
    await sleep(500);
    assert.ok(alive(proc.pid), "fdrestore died of SIGHUP");
    assert.ok(alive(task), "SIGHUP reached the program");
  } finally {
    proc.kill("SIGTERM"); // still passed on: the task ends, fdrestore with it
  }
  const out = await proc.output();
  assert.equal(out.code, 143, new TextDecoder().decode(out.stderr));
  assert.deepEqual(processesWith(mark), []);
});

Deno.test("under nohup, every task of a tree starts with SIGHUP ignored", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "fdrestore-nohup-" });
  const mark = marker();
  try {
    writeTreeCheckpoint(dir, [
      { pid: 500, ppid: 0, fds: { 0: "null" } },
      { pid: 501, ppid: 500, fds: { 0: "null" } },
      { pid: 502, ppid: 501, fds: { 0: "null" } },
    ], { null: { null: "r" } });
    const out = await new Deno.Command("nohup", {
      stdin: "null",
      args: [FDRESTORE, "restore", "-D", dir, "-d", "--", "/bin/sleep", mark],
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const tasks = processesWith(mark);
    assert.equal(tasks.length, 3);
    for (const pid of tasks) assert.equal(sigIgn(pid) & SIGHUP_BIT, SIGHUP_BIT, `task ${pid}`);
  } finally {
    for (const pid of processesWith(mark)) Deno.kill(pid, "SIGKILL");
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("SIGUSR1 while a restore is under way neither kills it nor opens the inspector", async () => {
  prepareSample();
  assert.ok(!listening(9229), "something else listens on 9229 already");
  const mark = marker();
  const proc = new Deno.Command(FDRESTORE, {
    args: ["restore", "-D", SAMPLE, "-d", "--", "/bin/sleep", mark],
    env: { FDRESTORE_TEST_PAUSE_MS: "2500" }, // held after the tasks started, before -d returns
    stdout: "null",
    stderr: "piped",
  }).spawn();
  try {
    await until("the program", () => tasksWith(mark, proc.pid).length === 1);
    const status = proc.status;
    let ended = false;
    status.then(() => ended = true);
    proc.kill("SIGUSR1"); // early: before or about when Deno installs its handler
    await sleep(1200);
    if (!ended) proc.kill("SIGUSR1"); // late: Deno's handler would open the inspector
    await sleep(300);
    assert.ok(!listening(9229), "fdrestore opened the inspector");
    const out = await proc.output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(`${out.code} ${out.signal}`, "0 null", `ended early: ${ended}; ${stderr}`);
    assert.equal(processesWith(mark).length, 1, "the restore was not completed");
  } finally {
    for (const pid of processesWith(mark)) Deno.kill(pid, "SIGKILL");
  }
});
