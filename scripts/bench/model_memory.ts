/**
 * Memory of a restore's data, without the fds: `deno run -A model_memory.ts DIR`
 * loads the checkpoint in DIR, stages a number for every file (as the
 * scheduler's RestoreSession does, but without opening anything), plans the tree
 * and builds the spawn table of the root task, then prints one JSON line:
 * `{fds, heapUsedMB, rssMB}` with everything still alive. A restore of
 * 100,000 fds cannot run under a hard RLIMIT_NOFILE of 20,000; this measures
 * what it would hold.
 */
import { type FdEntry, type FileDesc, loadCheckpoint, type Task } from "../../src/model/mod.ts";
import { planTree } from "../../src/restore/plan.ts";
import type { RestoreSession } from "../../src/restore/open_files.ts";
import { log } from "../../src/log.ts";

const dir = Deno.args[0];
const cp = loadCheckpoint(dir);
// RestoreSession keeps a Map from file to its staged number: the same here.
const numbers = new Map<FileDesc, number>();
let next = 1024;
for (const file of cp.files.values()) if (file.fds.length > 0) numbers.set(file, next++);
const staged = {
  tableFd: (_task: Task, e: FdEntry) => numbers.get(e.file),
  state: () => new Map(),
  taskOpens: () => new Map(),
} as unknown as RestoreSession;
const batch: number[] = [];
const plan = planTree(cp.root, staged, {
  program: ["/bin/true"],
  cloexec: "keep",
  root: "/",
  log,
}, batch);
// What startChild hands to spawn: target → descriptor.
const table = new Map<number, number>();
for (let k = 0; k < plan.fds.length; k += 2) table.set(plan.fds[k], batch[plan.fds[k + 1]]);
const m = Deno.memoryUsage();
console.log(JSON.stringify({
  fds: table.size,
  heapUsedMB: Math.round(m.heapUsed / 2 ** 20),
  rssMB: Math.round(m.rss / 2 ** 20),
}));
void [cp, numbers, plan];
