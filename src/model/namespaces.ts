/** Namespace kinds (as /proc/PID/ns names them) and where the images say which is which. */
import type { Task } from "./types.ts";

/** The clone flag of each namespace kind, as ns_file_entry.ns_cflag records it. */
export const NS_CLONE_FLAG: Readonly<Record<string, number>> = {
  mnt: 0x0002_0000,
  cgroup: 0x0200_0000,
  uts: 0x0400_0000,
  ipc: 0x0800_0000,
  user: 0x1000_0000,
  pid: 0x2000_0000,
  net: 0x4000_0000,
  time: 0x0000_0080,
};

/** The kind a clone flag stands for, or undefined. */
export function nsKindOfFlag(cflag: number): string | undefined {
  return Object.keys(NS_CLONE_FLAG).find((k) => NS_CLONE_FLAG[k] === cflag);
}

/** The kind of namespace `nsId`, from the first task (pstree order) that lives in it. */
export function nsKindOf(tasks: readonly Task[], nsId: number): string | undefined {
  for (const t of tasks) {
    for (const [kind, id] of Object.entries(t.nsIds ?? {})) if (id === nsId) return kind;
  }
  return undefined;
}
