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
 * @module
 */
import { describeFile } from "../show/describe.ts";
import type { Checkpoint } from "../model/mod.ts";

/** How long a started task must live not to count as ending at once. */
export const GRACE_MS = 200;
const POLL_MS = 10;

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
  let text: string;
  try {
    text = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch {
    return undefined;
  }
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

/**
 * Watches `pids` (dump pid → new pid) for {@link GRACE_MS}, or until the
 * root task `rootPid` ends; returns the tasks that ended other than by
 * exiting 0. Reaps nothing: the root's status stays for its waiter.
 */
export async function watchFirstMoments(
  pids: ReadonlyMap<number, number>,
  rootPid: number,
  ms = GRACE_MS,
): Promise<EarlyEnd[]> {
  const starts = new Map<number, string | undefined>();
  for (const pid of pids.values()) starts.set(pid, readStat(pid)?.startTime);
  const deadline = performance.now() + ms;
  while (performance.now() < deadline && readStat(rootPid)?.state !== "Z") {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  const out: EarlyEnd[] = [];
  for (const [old, pid] of pids) {
    const st = readStat(pid);
    if (st && st.startTime === starts.get(pid) && st.state !== "Z") continue; // running
    const how = !st || st.startTime !== starts.get(pid)
      ? "ended (its parent reaped it: status unknown)"
      : howItEnded(st.waitStatus);
    if (how) out.push({ old, pid, how });
  }
  return out;
}

/** The line for one task; at -v3 (`detail`) a second one says where its stdout and stderr went. */
export function describeEnd(
  cp: Checkpoint,
  end: EarlyEnd,
  program: string,
): { line: string; detail: string } {
  const task = cp.tasks.find((t) => t.pid === end.old);
  const table = task ? (task.tableOwner ?? task).fds : [];
  const where = (fd: number) => {
    const e = table.find((x) => x.fd === fd);
    return e ? describeFile(cp, e.file).what : "closed";
  };
  return {
    line: `task ${end.old} (pid ${end.pid}, ${program}) ${end.how} at once`,
    detail: `task ${end.old}: its stdout was ${where(1)}, its stderr ${where(2)}`,
  };
}
