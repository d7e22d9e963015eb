/**
 * Running fuzz cases: in-process through the library (decode, show, and the
 * check path: every file opened under an empty --root, then released), and a
 * sample through the real CLI. The invariant: a one-line FdrestoreError or
 * success; never another exception, never more than 2 s, no fd left open, no
 * memory that grows with a length field instead of with the file.
 */
import { join } from "node:path";
import { FdrestoreError } from "../../src/errors.ts";
import { LOG_LEVEL, Logger } from "../../src/log.ts";
import { readImageBytes, writeImageJsonText } from "../../src/image/mod.ts";
import { InheritFdTable } from "../../src/inherit/mod.ts";
import { type Checkpoint, loadCheckpoint, TASK_STATE } from "../../src/model/mod.ts";
import { openFiles } from "../../src/restore/open_files.ts";
import { buildReport, renderReport } from "../../src/show/mod.ts";
import { openFds } from "../../src/sys/_testing.ts";
import type { FuzzCase, SeedDir } from "./fuzz_mutate.ts";
import { runCli } from "./cli.ts";

export const TIME_LIMIT_MS = 2000;
/** RSS growth one case may cause: far above any corpus image, far below a 4 GiB length. */
const RSS_LIMIT = 512 * 1024 * 1024;

export interface Finding {
  readonly case: FuzzCase;
  readonly target: string;
  readonly problem: string;
}

/** Temporary copies of the seed directories; a case swaps one image in and out. */
export class Workspace {
  readonly base = Deno.makeTempDirSync({ prefix: "fdrestore-fuzz-" });
  /** An empty --root: a mutated path finds nothing real. */
  readonly root = join(this.base, "root");
  readonly #dirs = new Map<SeedDir, string>();

  constructor(seeds: readonly SeedDir[]) {
    Deno.mkdirSync(this.root);
    for (const s of seeds) {
      const dir = join(this.base, s.name);
      Deno.mkdirSync(dir);
      for (const [name, bytes] of s.files) Deno.writeFileSync(join(dir, name), bytes);
      this.#dirs.set(s, dir);
    }
  }

  /** Writes the case's image; returns its images directory. */
  apply(c: FuzzCase): string {
    const dir = this.#dirs.get(c.seed)!;
    Deno.writeFileSync(join(dir, c.file), c.bytes);
    return dir;
  }

  undo(c: FuzzCase): void {
    Deno.writeFileSync(join(this.#dirs.get(c.seed)!, c.file), c.seed.files.get(c.file)!);
  }

  /** Anything a check left under the root (socket files, FIFOs...). */
  leftovers(): string[] {
    return [...Deno.readDirSync(this.root)].map((e) => e.name);
  }

  dispose(): void {
    Deno.removeSync(this.base, { recursive: true });
  }
}

const quiet = new Logger(LOG_LEVEL.MSG, () => {});

function checkInProcess(dir: string, root: string): void {
  checkModel(loadCheckpoint(dir), root);
}

/** check's path on a model: every file of the live tables opened under `root`, then released. */
export function checkModel(cp: Checkpoint, root: string): void {
  const live = cp.tasks.filter((t) => t.state !== TASK_STATE.DEAD);
  const owners = live.filter((t) => t.tableOwner === t);
  const inherit = new InheritFdTable({ stageBase: 600, callerFdsOnly: false, logger: quiet });
  try {
    openFiles(cp, owners, { root, inherit, log: quiet }).release();
  } finally {
    inherit.finish();
  }
}

const TARGETS: Record<string, (c: FuzzCase, dir: string, root: string) => void> = {
  decode: (c, dir) => {
    const path = join(dir, c.file);
    writeImageJsonText(readImageBytes(path), path, true, () => {}); // the command's path
  },
  show: (_c, dir) => void renderReport(buildReport(loadCheckpoint(dir))),
  check: (_c, dir, root) => checkInProcess(dir, root),
};

/** Runs decode, show and check on one case in this process. */
export async function runInProcess(c: FuzzCase, ws: Workspace): Promise<Finding[]> {
  const found: Finding[] = [];
  const dir = ws.apply(c);
  try {
    for (const [target, fn] of Object.entries(TARGETS)) {
      const problem = await probe(() => fn(c, dir, ws.root), ws);
      if (problem !== undefined) found.push({ case: c, target, problem });
    }
  } finally {
    ws.undo(c);
  }
  return found;
}

/**
 * Runs one target and says what broke the invariant, if anything; empties
 * `ws.root` afterwards.
 */
export async function probe(
  fn: () => void | Promise<void>,
  ws: { root: string; leftovers(): string[] },
): Promise<string | undefined> {
  const fds = openFds();
  const rss = Deno.memoryUsage().rss;
  const t0 = performance.now();
  let problem: string | undefined;
  try {
    await fn();
  } catch (e) {
    if (!(e instanceof FdrestoreError)) {
      problem = `uncaught ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
    } else if (e.message.includes("\n")) problem = `two-line message: ${e.message}`;
  }
  const ms = performance.now() - t0;
  if (problem === undefined && ms > TIME_LIMIT_MS) problem = `took ${ms.toFixed(0)} ms`;
  if (problem === undefined && Deno.memoryUsage().rss - rss > RSS_LIMIT) {
    problem = `RSS grew by ${((Deno.memoryUsage().rss - rss) / 1048576).toFixed(0)} MiB`;
  }
  if (problem === undefined && openFds().join() !== fds.join()) problem = "fds leaked";
  const left = ws.leftovers();
  if (problem === undefined && left.length > 0) problem = `left ${left.join(", ")} in --root`;
  for (const name of left) Deno.removeSync(join(ws.root, name), { recursive: true });
  return problem;
}

const EXIT_CODES = new Set([0, 1, 2, 3, 4, 5]);

/** Runs decode, show and check on one case through the real command. */
export async function runThroughCli(c: FuzzCase, ws: Workspace): Promise<Finding[]> {
  const dir = ws.apply(c);
  const found: Finding[] = [];
  try {
    const commands: Record<string, string[]> = {
      decode: ["decode", "-i", join(dir, c.file), "-o", join(ws.base, "out.json")],
      show: ["show", "-D", dir, "--json"],
      check: ["check", "-D", dir, "--root", ws.root],
    };
    for (const [target, args] of Object.entries(commands)) {
      const problem = await cliProblem(args);
      if (problem !== undefined) found.push({ case: c, target: `cli ${target}`, problem });
    }
  } finally {
    ws.undo(c);
  }
  return found;
}

/** What is wrong with one run of the real command, if anything. */
export async function cliProblem(args: string[]): Promise<string | undefined> {
  const t0 = performance.now();
  const r = await runCli(args, { env: { RUST_BACKTRACE: "0" } });
  const ms = performance.now() - t0;
  const err = r.stderr.trimEnd();
  if (!EXIT_CODES.has(r.code)) return `exit code ${r.code}`;
  if (err.includes("\n")) return `stderr has ${err.split("\n").length} lines`;
  if (/Stack backtrace|\n? {4}at /.test(err)) return "stack trace";
  if (r.code !== 0 && !err.startsWith("fdrestore: error: ")) return `stderr: ${err}`;
  // A subprocess adds its start-up (~0.2 s) to the in-process limit.
  if (ms > TIME_LIMIT_MS + 1000) return `took ${ms.toFixed(0)} ms`;
  return undefined;
}

/** One line per finding, enough to rebuild the case. */
export function describeFinding(f: Finding): string {
  const c = f.case;
  return `case ${c.index}: ${f.target} on ${c.seed.name}/${c.file} (${c.mutation}): ${f.problem}`;
}
