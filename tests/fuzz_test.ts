/**
 * CI's share of the fuzzer (scripts/fuzz.ts runs the long version): a
 * fixed-seed sample of hostile images through decode, show and check, and
 * images no byte mutation makes (FIFOs, symlinks to devices, giant images).
 */
import assert from "node:assert/strict";
import { makeCase, prng, seedDirs } from "./support/fuzz_mutate.ts";
import { describeFinding, runInProcess, runThroughCli, Workspace } from "./support/fuzz_run.ts";
import { plantedCases, runPlanted } from "./support/fuzz_planted.ts";
import { haveGnuTime } from "./support/peak_rss.ts";
import { join } from "node:path";
import { haveCorpus } from "./support/corpus.ts";
import {
  archiveSeeds,
  describeArchiveFinding,
  makeArchiveCase,
  runArchiveCase,
} from "./support/fuzz_archive.ts";

const CASES = 2000;
const CLI_EVERY = 100;

Deno.test(`${CASES} mutated images end in a one-line error or success, in time, leaving nothing`, async () => {
  const seeds = seedDirs();
  const ws = new Workspace(seeds);
  const rng = prng(20260101);
  const lines: string[] = [];
  try {
    for (let i = 0; i < CASES; i++) {
      const c = makeCase(rng, seeds, i);
      const found = await runInProcess(c, ws);
      if (i % CLI_EVERY === 0) found.push(...await runThroughCli(c, ws));
      lines.push(...found.map(describeFinding));
    }
  } finally {
    ws.dispose();
  }
  assert.deepEqual(lines, []);
});

Deno.test("images that are FIFOs, symlinks to devices or giant repeated entries end in one line, within an RSS ceiling of the child", async () => {
  if (!haveGnuTime("planted images' RSS ceiling")) return;
  const seeds = seedDirs();
  const base = Deno.makeTempDirSync({ prefix: "fdrestore-fuzz-planted-" });
  const root = join(base, "root");
  Deno.mkdirSync(root);
  const lines: string[] = [];
  try {
    for (const c of plantedCases(seeds)) lines.push(...await runPlanted(c, base, root));
    assert.deepEqual([...Deno.readDirSync(root)].map((e) => e.name), [], "check left files");
  } finally {
    Deno.removeSync(base, { recursive: true });
  }
  assert.deepEqual(lines, []);
});

Deno.test("200 hostile archives (tar, tar.gz, tar.zst) end in a one-line error or success, extracting nothing", async () => {
  if (!haveCorpus("archive fuzz")) return;
  const seeds = archiveSeeds();
  const base = Deno.makeTempDirSync({ prefix: "fdrestore-fuzz-archive-" });
  const root = join(base, "root");
  Deno.mkdirSync(root);
  const rng = prng(20261206);
  const lines: string[] = [];
  try {
    for (let i = 0; i < 200; i++) {
      const c = await makeArchiveCase(rng, seeds, i);
      lines.push(
        ...(await runArchiveCase(c, base, root, i % 40 === 0)).map(describeArchiveFinding),
      );
    }
  } finally {
    Deno.removeSync(base, { recursive: true });
  }
  assert.deepEqual(lines, []);
});
