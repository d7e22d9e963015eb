import assert from "node:assert/strict";
import { loadCheckpoint } from "../model/mod.ts";
import { makeCheckpoint } from "../../scripts/bench/synthetic.ts";
import { buildReport } from "./report.ts";
import { filterReport, type ShowFilter } from "./filter.ts";
import { renderReport } from "./render.ts";
import { writeShowText } from "./stream.ts";
import { haveCorpus, imagesOf, scenarios } from "../../tests/support/corpus.ts";

/** writeShowText against filterReport + renderReport of the whole report, filter by filter. */
function assertSameText(dir: string): void {
  const cp = loadCheckpoint(dir, { decodedPayloads: true });
  const filters: ShowFilter[] = [{}, { fds: [1, 2, 2999] }, { kinds: ["pipe"] }, { fds: [5000] }];
  for (const t of cp.tasks) filters.push({ pid: t.pid }, { pid: t.pid, fds: [0, 1] });
  for (const filter of filters) {
    const pieces: string[] = [];
    writeShowText(cp, filter, {}, (text) => void pieces.push(text));
    const whole = renderReport(filterReport(buildReport(cp), filter));
    assert.equal(pieces.join(""), whole, `${dir} ${JSON.stringify(filter)}`);
    if (whole.length > 128 * 1024) assert.ok(pieces.length > 1, "written in pieces");
  }
}

Deno.test("the streamed text equals the whole report's, with every filter, in pieces", () => {
  const dir = Deno.makeTempDirSync({ prefix: "fdrestore-stream-" });
  try {
    makeCheckpoint(dir, 3000); // /dev/null, its dup and pipe ends: shares, peers, keys
    assertSameText(dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("the streamed text equals the whole report's for every corpus scenario (needs, trees)", () => {
  if (!haveCorpus("stream vs report")) return;
  for (const name of scenarios()) assertSameText(imagesOf(name));
});
