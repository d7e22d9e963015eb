/**
 * `show`'s text form written as it is made: each fd's entry is built,
 * rendered and dropped, so the 100,000 fds of a large table never exist as
 * report objects at once (`show --json` and library callers build the whole
 * report: report.ts). Same order, filters and needs as filterReport's.
 */
import type { Checkpoint, Task } from "../model/mod.ts";
import type { ContainerFacts } from "./container.ts";
import { fdFilter, type ShowFilter } from "./filter.ts";
import { ReportContext, type ShowFd } from "./report.ts";
import { type RenderOptions, renderTextTo } from "./render.ts";

export function writeShowText(
  cp: Checkpoint,
  filter: ShowFilter,
  opts: RenderOptions & { container?: ContainerFacts; root?: string },
  write: (text: string) => void,
): void {
  const ctx = new ReportContext(cp, opts.root ?? "/");
  const keep = fdFilter(filter);
  const narrowed = keep !== undefined || filter.pid !== undefined;
  const shown = new Set<string>();
  /** A table owner's fds, each made as it is read; all are made, for their needs. */
  function* fdsOf(t: Task, listed: boolean): Generator<ShowFd> {
    if ((t.tableOwner ?? t) !== t) return;
    for (const e of t.fds) {
      const f = ctx.fd(t, e);
      if (!listed || (keep && !keep(f))) continue;
      if (narrowed) shown.add(`${t.pid}:${f.fd}`);
      yield f;
    }
  }
  function* tasks() {
    for (const t of cp.tasks) {
      const task = ctx.task(t, false);
      const listed = filter.pid === undefined || t.pid === filter.pid;
      if (!listed) {
        for (const _ of fdsOf(t, false)) { /* made for their needs only */ }
        continue;
      }
      if (keep) task.fds_total = (t.tableOwner ?? t) === t ? t.fds.length : 0;
      yield { task, fds: fdsOf(t, true) };
    }
  }
  renderTextTo(
    {
      container: opts.container,
      tasks: tasks(),
      needs: () => {
        if (!narrowed) return { needs: ctx.needs, hidden: 0 };
        const needs = ctx.needs.filter((n) => shown.has(`${n.pid}:${n.fd}`));
        return { needs, hidden: ctx.needs.length - needs.length };
      },
    },
    opts,
    write,
  );
}
