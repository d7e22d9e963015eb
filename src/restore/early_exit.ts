/**
 * The first moments of the started tasks. A task that ends at once (the
 * wrong program, an argv it refuses, and often stdio on /dev/null hiding
 * why) is named in one line instead of passing for a restored service.
 *
 * Tasks are watched through /proc/PID/stat, which also shows tasks that are
 * not our children: a zombie's field 52 is its wait status; a task already
 * reaped by its parent (or whose pid was reused: field 22, the start time,
 * changed) has ended with a status nobody can read any more.
 *
 * A detached restore stops watching before the grace period ends once every
 * task has ended or waits idle: asleep in its own program (not our helper)
 * with no CPU time used (/proc/PID/schedstat, in ns) for {@link IDLE_POLLS}
 * looks in a row. A server waiting for its first client is there within a
 * few ms; a program that fails at once runs until it ends.
 *
 * @module
 */
import { describeFile } from "../show/describe.ts";
import type { Checkpoint } from "../model/mod.ts";
import type { Logger } from "../log.ts";
import { RestoreError } from "../restore_error.ts";
import { readlink, readSmallFile } from "../sys/mod.ts";
import type { TaskPlan } from "./plan.ts";
import { pause } from "./pause.ts";

/** How long a started task must live not to count as ending at once. */
export const GRACE_MS = 200;
const POLL_MS = 10;
/** Looks in a row, POLL_MS apart, that a task must be seen idle. */
const IDLE_POLLS = 2;

/** A task that ended within the grace period, other than by exiting 0. */
export interface EarlyEnd {
  /** Its pid in the dump, and now. */
  readonly old: number;
  readonly pid: number;
  /** "exited with status 1", "was killed by signal 11", ... */
  readonly how: string;
}

interface StatLine {
  state: string;
  startTime: string;
  waitStatus: number;
}

function readStat(pid: number): StatLine | undefined {
  const text = readSmallFile(`/proc/${pid}/stat`);
  if (text === undefined) return undefined;
  // comm (field 2) may hold spaces and parentheses: count from the last ')'.
  const f = text.slice(text.lastIndexOf(")") + 2).trim().split(" ");
  return { state: f[0], startTime: f[19], waitStatus: Number(f[49] ?? 0) };
}

function howItEnded(status: number): string | undefined {
  const signal = status & 0x7f;
  if (signal !== 0) return `was killed by signal ${signal}`;
  const code = (status >> 8) & 0xff;
  return code === 0 ? undefined : `exited with status ${code}`;
}

/** Started tasks by dump pid, with their start times: which of them ended since. */
export class StartWatch {
  readonly #starts = new Map<number, string | undefined>();

  constructor(readonly pids: ReadonlyMap<number, number>) {
    for (const pid of pids.values()) this.#starts.set(pid, readStat(pid)?.startTime);
  }

  /** The tasks that ended other than by exiting 0. Reaps nothing. */
  ended(): EarlyEnd[] {
    const out: EarlyEnd[] = [];
    for (const [old, pid] of this.pids) {
      const st = readStat(pid);
      const same = st !== undefined && st.startTime === this.#starts.get(pid);
      if (same && st.state !== "Z") continue; // running
      const how = same ? howItEnded(st.waitStatus) : "ended (its parent reaped it: status unknown)";
      if (how) out.push({ old, pid, how });
    }
    return out;
  }
}

/** Tells when every task has ended or has been seen idle IDLE_POLLS times in a row. */
export class IdleWatch {
  readonly #last = new Map<number, string>(); // pid → CPU time at the last look
  readonly #quiet = new Map<number, number>(); // pid → idle looks in a row
  readonly #self = ownExe();
  readonly #exec = new Set<number>(); // pids seen running their own program: exec is one-way

  constructor(readonly pids: Iterable<number>) {}

  /** Takes one look at every task; true once all have settled. */
  settled(): boolean {
    let all = true;
    for (const pid of this.pids) {
      const st = readStat(pid);
      if (st === undefined || st.state === "Z") continue; // ended: the report tells
      const cpu = readSmallFile(`/proc/${pid}/schedstat`)?.split(" ")[0];
      const idle = st.state === "S" && cpu !== undefined && cpu === this.#last.get(pid) &&
        this.#ownProgram(pid);
      if (cpu !== undefined) this.#last.set(pid, cpu);
      const quiet = idle ? (this.#quiet.get(pid) ?? 0) + 1 : 0;
      this.#quiet.set(pid, quiet);
      if (quiet < IDLE_POLLS) all = false;
    }
    return all;
  }

  /** Whether `pid` runs its own program, no longer our helper. */
  #ownProgram(pid: number): boolean {
    if (this.#exec.has(pid)) return true;
    if (exeOf(pid) === this.#self) return false;
    this.#exec.add(pid);
    return true;
  }
}

function exeOf(pid: number): string | undefined {
  try {
    return readlink(`/proc/${pid}/exe`);
  } catch {
    return undefined;
  }
}

function ownExe(): string | undefined {
  return exeOf(Deno.pid);
}

/**
 * Watches `pids` (dump pid → new pid) for `ms`, or until `stop()` says so, or
 * (`untilIdle`) until every task ended or waits idle; returns the tasks that
 * ended other than by exiting 0. Reaps nothing.
 */
export async function watchFirstMoments(
  pids: ReadonlyMap<number, number>,
  stop: () => boolean,
  ms = GRACE_MS,
  untilIdle = false,
): Promise<EarlyEnd[]> {
  const watch = new StartWatch(pids);
  const idle = untilIdle ? new IdleWatch([...pids.values()]) : undefined;
  const deadline = performance.now() + ms;
  idle?.settled();
  while (performance.now() < deadline && !stop()) {
    await pause(POLL_MS);
    if (idle?.settled()) break;
  }
  return watch.ended();
}

/** What the lines need: the model (stdout, stderr) and the plans (programs). */
export class FirstMoments {
  readonly #programs = new Map<number, string>();

  constructor(readonly cp: Checkpoint, plan: TaskPlan, readonly log: Logger) {
    const walk = (p: TaskPlan) => {
      this.#programs.set(p.pid, p.path);
      p.children.forEach(walk);
    };
    walk(plan);
  }

  /**
   * Detached: watches every task for the grace period, or until all ended or
   * wait idle; a task that ended at once fails the restore (nothing would be
   * left to say so later).
   */
  async detached(pids: ReadonlyMap<number, number>, rootPid: number): Promise<void> {
    const rootEnded = () => readStat(rootPid)?.state === "Z";
    const ended = await watchFirstMoments(pids, rootEnded, GRACE_MS, true);
    const lines = this.#report(ended, true);
    if (lines.length > 0) throw new RestoreError(lines[0], { pid: ended[0].old });
  }

  /**
   * In the foreground: `wait` waits for the root (and reaps it: its line comes
   * from its exit code); the other tasks are looked at when the grace period
   * ends, or the moment the root ends (nothing may linger then: a signal that
   * ended the root may still be on its way to us). `settled(ok)` says which.
   */
  async foreground(
    pids: ReadonlyMap<number, number>,
    root: number,
    wait: () => Promise<number>,
    settled: (ok: boolean) => void,
  ): Promise<number> {
    const others = new StartWatch(new Map([...pids].filter(([old]) => old !== root)));
    // The waiter's signal listeners first: Deno's first timer takes ~5 ms to
    // load, and a Ctrl-C meanwhile would find no listener and end fdrestore.
    const waiting = wait();
    let timer: ReturnType<typeof setTimeout> | undefined = setTimeout(() => {
      timer = undefined;
      settled(this.#report(others.ended(), false).length === 0);
    }, GRACE_MS);
    const code = await waiting;
    if (timer !== undefined) {
      clearTimeout(timer);
      const ends = others.ended();
      const how = code > 128 ? `was killed by signal ${code - 128}` : `exited with status ${code}`;
      if (code !== 0) ends.unshift({ old: root, pid: pids.get(root)!, how });
      this.#report(ends, false);
      settled(false);
    }
    return code;
  }

  /** Logs one line per task (where its stdout and stderr went at -v3); returns the lines. */
  #report(ended: readonly EarlyEnd[], firstIsError: boolean): string[] {
    return ended.map((end, i) => {
      const line = `task ${end.old} (pid ${end.pid}, ${
        this.#programs.get(end.old) ?? "?"
      }) ${end.how} at once`;
      if (!(firstIsError && i === 0)) this.log.warn(line);
      this.log.info(
        `task ${end.old}: its stdout was ${this.#where(end.old, 1)}, its stderr ${
          this.#where(end.old, 2)
        }`,
      );
      return line;
    });
  }

  #where(old: number, fd: number): string {
    const task = this.cp.tasks.find((t) => t.pid === old);
    const e = task ? (task.tableOwner ?? task).fds.find((x) => x.fd === fd) : undefined;
    return e ? describeFile(this.cp, e.file).what : "closed";
  }
}
