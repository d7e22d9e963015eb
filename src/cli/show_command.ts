/** `fdrestore show`: the fd tables of a checkpoint, as text or JSON. */
import { loadCheckpoint } from "../model/mod.ts";
import { buildReport, renderReport } from "../show/mod.ts";
import type { ShowOptions } from "./options.ts";
import { writeStdout } from "./output.ts";
import { UsageError } from "../errors.ts";

export function runShow(opts: ShowOptions): number {
  const cp = loadCheckpoint(opts.imagesDir, { decodedPayloads: true });
  const report = buildReport(cp);
  if (opts.pid !== undefined) {
    const task = report.tasks.find((t) => t.pid === opts.pid);
    if (!task) throw new UsageError(`no task ${opts.pid} in ${opts.imagesDir}/pstree.img`);
    report.tasks = [task];
    report.needs = report.needs.filter((n) => n.pid === opts.pid);
  }
  if (opts.json) {
    writeStdout(JSON.stringify(report, null, 2) + "\n");
  } else {
    const color = Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR");
    writeStdout(renderReport(report, { color }));
  }
  return 0;
}
