/**
 * Injected faults through the real command (FDRESTORE_TEST_FAULT, see
 * src/sys/fault_env.ts): a restore whose N-th libc call fails must succeed or
 * fail with one line, and leave no restored task, no helper and no file behind.
 */
import { join } from "node:path";
import { runCli } from "./cli.ts";
import { processesWith, type TaskSpec, writeTreeCheckpoint } from "./tree_fixture.ts";

export const ERRNOS = ["EMFILE", "ENOMEM", "EACCES", "EINTR", "EAGAIN", "EPIPE"] as const;

/** Synthetic checkpoints: a two-task pipe tree and a 3-level tree with a shared table. */
export const TREES: Record<string, [TaskSpec[], Parameters<typeof writeTreeCheckpoint>[2]]> = {
  pipe_pair: [[
    { pid: 100, ppid: 0, fds: { 0: "null", 1: "out", 3: "p1r" } },
    { pid: 101, ppid: 100, pgid: 101, fds: { 0: "null", 4: "p1w" } },
  ], {
    null: { null: "r" },
    out: { null: "w" },
    p1r: { pipe: 1, end: "r" },
    p1w: { pipe: 1, end: "w" },
  }],
  tree_shared: [[
    { pid: 200, ppid: 0, fds: { 0: "null", 1: "out", 3: "p1r", 7: "p2w" } },
    { pid: 201, ppid: 200, fds: { 0: "null", 1: "out", 5: "p2r" } },
    { pid: 202, ppid: 201, pgid: 202, fds: { 0: "null", 4: "p1w", 9: "out" } },
    { pid: 203, ppid: 200, filesId: 200, fds: {} },
  ], {
    null: { null: "r" },
    out: { null: "w" },
    p1r: { pipe: 1, end: "r" },
    p1w: { pipe: 1, end: "w" },
    p2r: { pipe: 2, end: "r" },
    p2w: { pipe: 2, end: "w" },
  }],
};

/** Writes a tree's images into a new temp dir. */
export function treeImages(name: string): string {
  const dir = Deno.makeTempDirSync({ prefix: `fdrestore-fault-${name}-` });
  writeTreeCheckpoint(dir, ...TREES[name]);
  return dir;
}

function marker(): string {
  return `1000.${crypto.getRandomValues(new Uint32Array(1))[0]}`;
}

/** Processes whose environment holds `mark` (helpers inherit ours). */
function withEnv(mark: string): number[] {
  const out: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name) || Number(e.name) === Deno.pid) continue;
    try {
      if (Deno.readTextFileSync(`/proc/${e.name}/environ`).includes(mark)) out.push(Number(e.name));
    } catch {
      // gone
    }
  }
  return out;
}

/** How many libc calls a successful restore of `dir` makes. */
export async function countCalls(dir: string): Promise<number> {
  const file = join(dir, "..", `calls-${marker()}.json`);
  const mark = marker();
  const r = await runCli(["restore", "-D", dir, "-d", "--", "/bin/sleep", mark], {
    env: { FDRESTORE_TEST_FAULT_COUNT: file },
  });
  for (const pid of processesWith(mark)) Deno.kill(pid, "SIGKILL");
  if (r.code !== 0) throw new Error(`counting run failed: ${r.stderr}`);
  const n = JSON.parse(Deno.readTextFileSync(file))["*"];
  Deno.removeSync(file);
  return n;
}

/** Runs one restore with call N failing; returns what was wrong ("" when nothing). */
export async function faultRun(dir: string, n: number, errno: string): Promise<string> {
  return (await faultRunWithCode(dir, n, errno)).problem;
}

/** {@link faultRun}, also telling the exit code of the restore. */
async function faultRunWithCode(
  dir: string,
  n: number,
  errno: string,
): Promise<{ problem: string; code: number }> {
  const mark = marker();
  const before = new Set([...Deno.readDirSync(dir)].map((e) => e.name));
  const r = await runCli(["restore", "-D", dir, "-d", "--", "/bin/sleep", mark], {
    env: { FDRESTORE_TEST_FAULT: `*:${n}:${errno}`, FDRESTORE_FAULT_MARK: mark },
  });
  const tasks = processesWith(mark);
  const helpers = withEnv(mark);
  for (const pid of [...tasks, ...helpers]) Deno.kill(pid, "SIGKILL");
  const problems: string[] = [];
  const err = r.stderr.trimEnd();
  if (r.code !== 0) {
    if (err.includes("\n") || !err.startsWith("fdrestore: error: ")) {
      problems.push(`stderr: ${JSON.stringify(err)}`);
    }
    if (tasks.length > 0) problems.push(`${tasks.length} restored task(s) left`);
  }
  if (helpers.length > 0) problems.push(`${helpers.length} helper(s) left`);
  // restore's own failures are 125; 126/127 only when the fault hit the program's start.
  const programFault = (r.code === 126 || r.code === 127) && /: cannot start /.test(err);
  if (![0, 125].includes(r.code) && !programFault) problems.push(`exit code ${r.code}`);
  const after = [...Deno.readDirSync(dir)].map((e) => e.name).filter((f) => !before.has(f));
  if (after.length > 0) problems.push(`new files in the images dir: ${after.join(", ")}`);
  const problem = problems.length === 0 ? "" : `call ${n} ${errno}: ${problems.join("; ")}`;
  return { problem, code: r.code };
}

/** Corpus scenarios swept too: files, pipes, sockets, ghosts, timers/epoll, and a tree. */
export const CORPUS_SCENARIOS = ["pipes", "unix-sockets", "ghost-file", "misc-fds", "tree-shared"];

/** Every path under `dir` (what a failed restore must leave as it was). */
function listTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of Deno.readDirSync(d)) {
      const p = join(d, e.name);
      out.push(p);
      if (e.isDirectory) walk(p);
    }
  };
  try {
    walk(dir);
  } catch {
    // not there
  }
  return out.sort();
}

/** A copy of a corpus scenario's images in a temp dir, its files prepared. */
export function corpusImages(corpus: string, name: string): string {
  const dir = Deno.makeTempDirSync({ prefix: `fdrestore-fault-${name}-` });
  for (const e of Deno.readDirSync(join(corpus, name, "images"))) {
    Deno.copyFileSync(join(corpus, name, "images", e.name), join(dir, e.name));
  }
  prepareCorpus(corpus, name);
  return dir;
}

export function prepareCorpus(corpus: string, name: string): void {
  const out = new Deno.Command(join(corpus, "prepare"), {
    args: [name],
    stdout: "null",
    stderr: "piped",
  })
    .outputSync();
  if (!out.success) throw new Error(`prepare ${name}: ${new TextDecoder().decode(out.stderr)}`);
}

/**
 * faultRun on a corpus scenario: also checks that a failed restore left the
 * scenario's folder (/tmp/criu-corpus/NAME: ghost files, socket names, link
 * remaps) exactly as it found it, and prepares it again after a success.
 */
export async function faultRunCorpus(
  corpus: string,
  name: string,
  dir: string,
  n: number,
  errno: string,
): Promise<string> {
  const folder = `/tmp/criu-corpus/${name}`;
  const before = listTree(folder);
  const { problem, code } = await faultRunWithCode(dir, n, errno);
  const after = listTree(folder);
  const extra = after.filter((p) => !before.includes(p));
  const gone = before.filter((p) => !after.includes(p));
  const problems = problem ? [problem] : [];
  // A successful restore binds socket names and consumes link remaps; a failed one changes nothing.
  if (code !== 0 && extra.length > 0) {
    problems.push(`call ${n} ${errno}: left behind ${extra.join(", ")}`);
  }
  if (code !== 0 && gone.length > 0) {
    problems.push(`call ${n} ${errno}: removed ${gone.join(", ")}`);
  }
  if (code === 0 || problems.length > 0) prepareCorpus(corpus, name);
  return problems.join("; ");
}
