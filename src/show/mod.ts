/** `fdrestore show`: what is in a checkpoint, and what a restore needs. */
export {
  buildReport,
  type ReportOptions,
  type ShowFd,
  type ShowNeed,
  type ShowReport,
  type ShowTask,
} from "./report.ts";
export { type ContainerFacts, containerFacts } from "./container.ts";
export { filterReport, type ShowFilter } from "./filter.ts";
export { type RenderOptions, renderReport, renderReportTo } from "./render.ts";
export { writeShowText } from "./stream.ts";
