/**
 * `show --pid/--fd/--kind`: narrows a built report for large checkpoints.
 * The report is built whole first, so sharing, peers and needs are computed
 * against every fd; the filter only chooses what is printed. Needs of fds
 * left out are counted in `needs_not_shown`, so a filtered view never says
 * that a restore needs nothing when it does.
 */
import type { ShowReport } from "./report.ts";

export interface ShowFilter {
  pid?: number;
  fds?: number[];
  kinds?: string[];
}

export function filterReport(report: ShowReport, filter: ShowFilter): ShowReport {
  const { pid, fds, kinds } = filter;
  if (pid === undefined && fds === undefined && kinds === undefined) return report;
  const fdSet = fds && new Set(fds);
  const kindSet = kinds && new Set(kinds);
  const shown = new Set<string>();
  const tasks = report.tasks.filter((t) => pid === undefined || t.pid === pid).map((t) => {
    const kept = t.fds.filter((f) =>
      (!fdSet || fdSet.has(f.fd)) && (!kindSet || kindSet.has(f.kind))
    );
    for (const f of kept) shown.add(`${t.pid}:${f.fd}`);
    return fdSet || kindSet ? { ...t, fds: kept, fds_total: t.fds.length } : t;
  });
  const needs = report.needs.filter((n) => shown.has(`${n.pid}:${n.fd}`));
  return { ...report, tasks, needs, needs_not_shown: report.needs.length - needs.length };
}
