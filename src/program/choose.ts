/**
 * Which program each task starts: its `--exec PID=...`, else `-- PROGRAM`,
 * else the program recorded in the images, which is refused when the rules of
 * `recorded.ts` doubt it. The refusal happens before any file is opened, so a
 * refused restore leaves nothing behind.
 *
 * @module
 */
import type { Task } from "../model/mod.ts";
import { RestoreError } from "../restore_error.ts";
import { judge, refused, type Verdict } from "./recorded.ts";
import { leadsToExe } from "./leads_to.ts";

/** What the caller said about programs. */
export interface ProgramChoice {
  /** `-- PROGRAM ARGS`: for every task without its own `--exec`. */
  readonly program?: readonly string[];
  /** `--exec PID=PROGRAM ARGS`, by pid in the dump. */
  readonly exec?: ReadonlyMap<number, readonly string[]>;
  /** --untrusted: no recorded program is ever started. */
  readonly untrusted?: boolean;
}

/** The caller's program for `pid`, undefined when it starts its recorded one. */
export function userProgram(pid: number, choice: ProgramChoice): readonly string[] | undefined {
  return choice.exec?.get(pid) ?? choice.program;
}

/** The rules applied to a task's recorded program; undefined when it has no exe or argv. */
export function judgeTask(task: Task, root: string): Verdict | undefined {
  const { exe, argv } = task;
  if (exe === undefined || !argv || argv.length === 0) return undefined;
  const leads = leadsToExe({ exe, cwd: task.cwd, env: task.env }, root);
  return judge({ exe, argv, argvCut: task.argvCut }, leads);
}

/**
 * Refuses, naming the first task, when a task of `starting` would start a
 * recorded program the rules doubt, or an `--exec` names no task of `starting`.
 */
/**
 * Refuses, naming the first task, when a task of `starting` would start a
 * recorded program the rules doubt (under --untrusted: any recorded program),
 * or an `--exec` names no task of `starting`.
 */
export function checkPrograms(
  starting: readonly Task[],
  choice: ProgramChoice,
  root: string,
): void {
  for (const pid of choice.exec?.keys() ?? []) {
    if (!starting.some((t) => t.pid === pid)) {
      throw new RestoreError(`--exec ${pid}: no task ${pid} starts from these images`, { pid });
    }
  }
  if (choice.untrusted) {
    const own = starting.filter((t) => !userProgram(t.pid, choice));
    if (own.length > 0) {
      const [task] = own;
      throw new RestoreError(
        `task ${task.pid} (${task.comm}): --untrusted starts no program recorded in the images; ` +
          `name its program with ${execHint(task.pid)}${also(own.slice(1).map((t) => t.pid))}`,
        { pid: task.pid },
      );
    }
  }
  const doubted = doubtedTasks(starting, choice, root);
  if (doubted.length === 0) return;
  const [task, verdict] = doubted[0];
  throw new RestoreError(
    `task ${task.pid} (${task.comm}): ${doubtText(task, verdict)}; name its program with ` +
      `${execHint(task.pid)}${also(doubted.slice(1).map(([t]) => t.pid))}`,
    { pid: task.pid },
  );
}

/** The tasks of `starting` that would start a recorded program the rules doubt. */
export function doubtedTasks(
  starting: readonly Task[],
  choice: ProgramChoice,
  root: string,
): [Task, Verdict][] {
  const out: [Task, Verdict][] = [];
  for (const t of starting) {
    if (userProgram(t.pid, choice)) continue;
    const v = judgeTask(t, root);
    if (v && refused(v)) out.push([t, v]);
  }
  return out;
}

/**
 * Why a recorded program is not started, in words. `show` prints the argv just
 * above, so it leaves it out (`withArgv` false).
 */
export function doubtText(task: Task, v: Verdict, withArgv = true): string {
  const via = v.via ? `its exe ${task.exe} is the target of the link ${v.via}` : undefined;
  if (v.title.length > 0) {
    const what = withArgv ? `its recorded argv ${quoted(task.argv?.[0] ?? "")} is ` : "";
    const signs = [...v.title, ...(via ? [via] : [])].join("; ");
    return `${what}a process title, not a command line (${signs})`;
  }
  return `its recorded argv[0] ${quoted(v.otherName ?? "")} does not name ` +
    `or lead to its exe ${task.exe}`;
}

/** The arguments that give a task its program. */
export function execHint(pid: number): string {
  return `--exec ${pid}='PROGRAM ARGS...' or -- PROGRAM ARGS...`;
}

/** " (also tasks 2, 3)" naming the other tasks a refusal applies to, or "". */
function also(others: readonly number[]): string {
  if (others.length === 0) return "";
  return ` (also task${others.length > 1 ? "s" : ""} ${others.join(", ")})`;
}

function quoted(s: string): string {
  return `'${s.length > 60 ? `${s.slice(0, 57)}...` : s}'`;
}
