/**
 * `fdrestore restore` and `fdrestore check`: read the images, open every
 * file, and (restore) start the task's program on its fd table, then wait
 * for it or detach. On any failure nothing is left behind: started tasks are
 * killed and reaped, staged fds closed, temporary files removed.
 */
import { resolve } from "node:path";
import { log } from "../cli/log.ts";
import type { CheckOptions, RestoreOptions } from "../cli/options.ts";
import { writeStdout } from "../cli/output.ts";
import { checkInheritKeys } from "../inherit/mod.ts";
import { type Checkpoint, FD_TYPE, loadCheckpoint, type Task } from "../model/mod.ts";
import { inheritKeyOf } from "../model/inherit_key.ts";
import { RestoreError } from "../files/restore_error.ts";
import { openFiles, type StagedFiles } from "./open_files.ts";
import { startTask } from "./start_task.ts";
import { waitForeground } from "./wait.ts";
import { kill, waitpid } from "../sys/mod.ts";

const SIGKILL = 9;
const SIGSTOP = 19;

export async function runRestore(opts: RestoreOptions | CheckOptions): Promise<number> {
  const root = opts.root ?? "/";
  let staged: StagedFiles | undefined;
  const started: number[] = [];
  try {
    opts.inherit.log(log);
    if (opts.shellJob) {
      throw new RestoreError("--shell-job is not supported yet: terminals come in a later release");
    }
    const cp = loadCheckpoint(opts.imagesDir);
    const tasks = selectTasks(cp, opts.pid);
    checkKeys(cp, tasks, opts);
    const owners = tasks.filter((t) => t.tableOwner === t);
    if (owners.length > 1 || tasks.length > 1) {
      throw new RestoreError(
        `${opts.imagesDir} holds a tree of ${tasks.length} tasks; ` +
          `fdrestore restores single tasks for now (use --pid PID to pick one)`,
      );
    }
    const stageBase = stageBaseFor(tasks, opts.inherit.stageBase);
    staged = openFiles(cp, owners, { root, inherit: opts.inherit, log, stageBase });
    if (opts.command === "check") {
      const fds = owners.reduce((n, t) => n + t.fds.length, 0);
      writeStdout(`check: ${tasks.length} task(s), ${fds} fds: every file opens\n`);
      return 0;
    }
    const task = tasks[0];
    const pid = startTask(task, staged.tableOf(task), {
      program: opts.program,
      cloexec: opts.cloexec,
      root,
      log,
    });
    started.push(pid);
    const pids = new Map([[task.pid, pid]]);
    log.info(`task ${task.pid} restored as pid ${pid}`);
    staged.started(pids);
    if (opts.leaveStopped) kill(pid, SIGSTOP);
    staged.release();
    staged = undefined;
    writeOutputs(opts, pid, pids);
    if (opts.detached) return 0;
    const done = started.splice(0); // from here the wait owns the task
    return await waitForeground(done[0]);
  } catch (e) {
    for (const pid of started) killAndReap(pid);
    throw e;
  } finally {
    staged?.release();
    opts.inherit.finish();
  }
}

/** The whole tree, or the subtree of `--pid`. */
function selectTasks(cp: Checkpoint, pid: number | undefined): Task[] {
  if (pid === undefined) return cp.tasks;
  const top = cp.tasks.find((t) => t.pid === pid);
  if (!top) throw new RestoreError(`no task ${pid} in the images (pstree.img)`);
  const out: Task[] = [];
  const walk = (t: Task) => {
    out.push(t);
    t.children.forEach(walk);
  };
  walk(top);
  return out;
}

/** Warns about (or, strict, refuses) inherit keys that match no file. */
function checkKeys(cp: Checkpoint, tasks: Task[], opts: RestoreOptions | CheckOptions): void {
  if (opts.inherit.size === 0) return;
  const all: string[] = [];
  const regular: string[] = [];
  for (const t of tasks) {
    for (const e of t.fds) {
      const key = inheritKeyOf(cp, e.file);
      if (key === undefined) continue;
      all.push(key);
      if (e.file.type === FD_TYPE.REG || e.file.type === FD_TYPE.FIFO) regular.push(key);
    }
  }
  checkInheritKeys(opts.inherit, { all, regular }, { strict: opts.inheritFdStrict, logger: log });
}

/** Staged fds live above every target number of every task. */
function stageBaseFor(tasks: Task[], inheritBase: number): number {
  let max = 0;
  for (const t of tasks) for (const e of t.fds) max = Math.max(max, e.fd);
  return Math.max(max + 1, Math.min(inheritBase, 1024));
}

function writeOutputs(opts: RestoreOptions, rootPid: number, pids: Map<number, number>): void {
  const map = Object.fromEntries([...pids].map(([old, now]) => [String(old), now]));
  for (const [old, now] of pids) log.info(`pid ${old} -> ${now}`);
  // Relative paths go into the work directory, as criu's do.
  if (opts.pidMap) writeAtomically(resolve(opts.workDir, opts.pidMap), JSON.stringify(map) + "\n");
  if (opts.pidfile) writeAtomically(resolve(opts.workDir, opts.pidfile), `${rootPid}\n`);
}

/** Readers poll for these files: they must never see half of one. */
function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.tmp${Deno.pid}`;
  Deno.writeTextFileSync(tmp, text);
  Deno.renameSync(tmp, path);
}

function killAndReap(pid: number): void {
  try {
    kill(pid, SIGKILL);
    waitpid(pid);
  } catch {
    // already gone
  }
}
