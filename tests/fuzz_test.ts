/**
 * CI's share of the fuzzer (scripts/fuzz.ts runs the long version): a
 * fixed-seed sample of hostile images through decode, show and check.
 */
import assert from "node:assert/strict";
import { makeCase, prng, seedDirs } from "./support/fuzz_mutate.ts";
import { describeFinding, runInProcess, runThroughCli, Workspace } from "./support/fuzz_run.ts";

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
      const found = runInProcess(c, ws);
      if (i % CLI_EVERY === 0) found.push(...await runThroughCli(c, ws));
      lines.push(...found.map(describeFinding));
    }
  } finally {
    ws.dispose();
  }
  assert.deepEqual(lines, []);
});
