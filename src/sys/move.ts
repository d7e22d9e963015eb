/**
 * Moving fds to chosen numbers inside this process, safely: onto itself,
 * swapped slots, chains and cycles (as skalibs' fd_move / fd_move2).
 *
 * Never use these over numbers the Deno runtime owns (deno-notes: it panics or
 * corrupts files); to give a started program its table, use `spawn`. These are
 * for numbers known to be ours, e.g. above every runtime fd.
 *
 * @module
 */

import { FD_CLOEXEC, O } from "./consts.ts";
import { close, dup2, dup3, dupAbove, setFdFlags } from "./fd.ts";

/**
 * Moves `from` to `to`: afterwards `to` refers to the file and `from` is closed.
 * `cloexec` sets the flag on `to` exactly (default: cleared, like dup2). Moving
 * onto itself only sets the flag.
 */
export function moveFd(from: number, to: number, options: { cloexec?: boolean } = {}): void {
  const cloexec = options.cloexec ?? false;
  if (from === to) return setFdFlags(to, cloexec ? FD_CLOEXEC : 0);
  if (cloexec) dup3(from, to, O.CLOEXEC);
  else dup2(from, to);
  close(from);
}

/** One step that {@link planPlacement} orders. */
export type PlaceStep =
  | { op: "dup2"; from: number; to: number }
  | { op: "stage"; from: number } // copy `from` to a free high number, use it instead
  | { op: "flags"; fd: number };

/**
 * The order in which `target ← source` copies can be made without overwriting a
 * source still needed: a target that is also a pending source waits; a cycle is
 * broken by staging one source to a high number. Pure, for tests and logs.
 */
export function planPlacement(map: ReadonlyMap<number, number>): PlaceStep[] {
  const pending = new Map<number, number>();
  const steps: PlaceStep[] = [];
  for (const [to, from] of map) {
    if (to === from) steps.push({ op: "flags", fd: to });
    else pending.set(to, from);
  }
  const uses = new Map<number, number>();
  for (const from of pending.values()) uses.set(from, (uses.get(from) ?? 0) + 1);
  // Targets that hold no needed source; writing one may free the next (a
  // worklist: one pass per chain link would be quadratic on long chains).
  const ready: number[] = [];
  for (const to of pending.keys()) if (!uses.get(to)) ready.push(to);
  let readers: Map<number, number[]> | undefined; // source → its pending targets, for cycles
  while (pending.size > 0) {
    const to = ready.pop();
    if (to !== undefined) {
      const from = pending.get(to)!;
      steps.push({ op: "dup2", from, to });
      pending.delete(to);
      const left = uses.get(from)! - 1;
      uses.set(from, left);
      if (left === 0 && pending.has(from)) ready.push(from);
      continue;
    }
    // Only cycles remain: stage a source that is itself a pending target.
    const from = [...pending.values()].find((f) => pending.has(f))!;
    steps.push({ op: "stage", from });
    const staged = -1 - steps.length; // placeholder id, resolved by placeFds
    readers ??= targetsBySource(pending);
    for (const t of readers.get(from) ?? []) if (pending.get(t) === from) pending.set(t, staged);
    uses.set(staged, uses.get(from)!);
    uses.set(from, 0);
    ready.push(from);
  }
  return steps;
}

function targetsBySource(pending: ReadonlyMap<number, number>): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const [to, from] of pending) {
    const list = out.get(from);
    if (list) list.push(to);
    else out.set(from, [to]);
  }
  return out;
}

/**
 * Makes each target number refer to its source's file (`map`: target → source;
 * several targets may share a source). Targets get FD_CLOEXEC cleared unless
 * `cloexec`; sources that are not targets are closed unless `keepSources`.
 * Staging copies go at or above `stageAbove` (default: above every number).
 */
export function placeFds(
  map: ReadonlyMap<number, number>,
  options: { cloexec?: boolean; keepSources?: boolean; stageAbove?: number } = {},
): void {
  const all = [...map.keys(), ...map.values()];
  const stageAbove = options.stageAbove ?? Math.max(0, ...all) + 1;
  const flags = options.cloexec ? FD_CLOEXEC : 0;
  const staged = new Map<number, number>(); // placeholder id → real fd
  const real = (fd: number) => staged.get(fd) ?? fd;
  try {
    planPlacement(map).forEach((step, i) => {
      if (step.op === "flags") return setFdFlags(step.fd, flags);
      if (step.op === "stage") {
        return void staged.set(-2 - i, dupAbove(real(step.from), stageAbove));
      }
      const from = real(step.from);
      if (options.cloexec) dup3(from, step.to, O.CLOEXEC);
      else dup2(from, step.to);
    });
  } finally {
    for (const fd of staged.values()) close(fd);
  }
  if (options.keepSources) return;
  for (const from of new Set(map.values())) if (!map.has(from)) close(from);
}
