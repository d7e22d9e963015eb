/** `fdrestore show`: the fd tables of a checkpoint, as text or JSON. */
import { buildCheckpoint } from "../model/mod.ts";
import { openImages } from "../archive/open.ts";
import {
  buildReport,
  type ContainerFacts,
  containerFacts,
  filterReport,
  writeShowText,
} from "../show/mod.ts";
import type { ShowOptions } from "./options.ts";
import { writeStdout } from "./output.ts";
import { noSuchTask } from "../errors.ts";

export async function runShow(opts: ShowOptions): Promise<number> {
  const images = await openImages(opts.imagesDir);
  let cp;
  let container: ContainerFacts | undefined;
  try {
    const args = !images.archive?.pagesDropped; // argv lives in the memory pages
    cp = buildCheckpoint(images.source, { decodedPayloads: true, args });
    const archive = images.archive;
    container = archive && containerFacts((name) => archive.member(name), opts.imagesDir);
  } finally {
    images.close();
  }
  if (opts.pid !== undefined && !cp.tasks.some((t) => t.pid === opts.pid)) {
    throw noSuchTask(opts.pid, opts.imagesDir);
  }
  if (opts.json) {
    const whole = buildReport(cp, { root: opts.root });
    const report = filterReport({ ...whole, ...(container ? { container } : {}) }, opts);
    writeStdout(JSON.stringify(report, null, 2) + "\n");
  } else {
    // https://no-color.org: any non-empty NO_COLOR turns colour off; so does a dumb terminal.
    const color = Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR") &&
      Deno.env.get("TERM") !== "dumb";
    writeShowText(cp, opts, { color, container, root: opts.root }, writeStdout);
  }
  return 0;
}
