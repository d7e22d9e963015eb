/**
 * `show --pid/--fd/--kind`: narrows a built report for large checkpoints.
 * The report is built whole first, so sharing, peers and needs are computed
 * against every fd; the filter only chooses what is printed. Needs of fds
 * left out are counted in `needs_not_shown`, so a filtered view never says
 * that a restore needs nothing when it does.
 */
import type { ShowFd, ShowReport } from "./report.ts";

export interface ShowFilter {
  pid?: number;
  fds?: number[];
  kinds?: string[];
}

/** Whether `--fd`/`--kind` keep an fd; undefined when neither narrows. */
export function fdFilter(filter: ShowFilter): ((f: ShowFd) => boolean) | undefined {
  const fdSet = filter.fds && new Set(filter.fds);
  const kindSet = filter.kinds && new Set(filter.kinds);
  if (!fdSet && !kindSet) return undefined;
  return (f) => (!fdSet || fdSet.has(f.fd)) && (!kindSet || kindSet.has(f.kind));
}

export function filterReport(report: ShowReport, filter: ShowFilter): ShowReport {
  const { pid, fds, kinds } = filter;
  if (pid === undefined && fds === undefined && kinds === undefined) return report;
  const keep = fdFilter(filter);
  const shown = new Set<string>();
  const tasks = report.tasks.filter((t) => pid === undefined || t.pid === pid).map((t) => {
    const kept = keep ? t.fds.filter(keep) : t.fds;
    for (const f of kept) shown.add(`${t.pid}:${f.fd}`);
    return keep ? { ...t, fds: kept, fds_total: t.fds.length } : t;
  });
  const needs = report.needs.filter((n) => shown.has(`${n.pid}:${n.fd}`));
  return { ...report, tasks, needs, needs_not_shown: report.needs.length - needs.length };
}
