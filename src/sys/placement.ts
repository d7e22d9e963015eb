/**
 * The one fd placement of a started program's table, shared by `spawn` and
 * `execWithFds`: every source at or below the highest target is first copied
 * above it, so that no dup2 onto a target overwrites a source still needed
 * (a swapped pair, a chain, a cycle). The dup2s then run in any order.
 */
import { dupAbove } from "./fd.ts";
import { closeAll } from "./kinds.ts";

export interface Staged {
  /** The targets, ascending. */
  readonly targets: number[];
  /** The highest target (-1 when there is none). */
  readonly max: number;
  /** Source → its copy above `max`, for sources at or below it; the caller closes them. */
  readonly copies: Map<number, number>;
}

/** Stages the sources of `fds` (target → source) above every target. */
export function stageSources(fds: ReadonlyMap<number, number>): Staged {
  const targets = [...fds.keys()].sort((a, b) => a - b);
  for (const t of targets) {
    if (!Number.isInteger(t) || t < 0) throw new RangeError(`bad target fd ${t}`);
  }
  const max = targets.length > 0 ? targets[targets.length - 1] : -1;
  const copies = new Map<number, number>();
  try {
    for (const src of fds.values()) {
      if (src <= max && !copies.has(src)) copies.set(src, dupAbove(src, max + 1));
    }
  } catch (e) {
    closeAll([...copies.values()]);
    throw e;
  }
  return { targets, max, copies };
}
