/**
 * CI's share of the fault sweep (scripts/fault_sweep.ts fails every call):
 * every 7th libc call of two tree restores, each errno in turn, plus the
 * library's own fd table under every fault of a check.
 */
import assert from "node:assert/strict";
import { InheritFdTable } from "../src/inherit/mod.ts";
import { LOG_LEVEL, Logger } from "../src/log.ts";
import { loadCheckpoint } from "../src/model/mod.ts";
import { openFiles } from "../src/restore/open_files.ts";
import { ERRNO, setFaultInjector } from "../src/sys/mod.ts";
import { openFds } from "../src/sys/_testing.ts";
import {
  CORPUS_SCENARIOS,
  corpusImages,
  countCalls,
  ERRNOS,
  faultRun,
  faultRunCorpus,
  prepareCorpus,
  treeImages,
} from "./support/fault_sweep.ts";
import { CORPUS, haveCorpus } from "./support/corpus.ts";

for (const tree of ["pipe_pair", "tree_shared"]) {
  Deno.test(`a ${tree} restore with a failing libc call fails in one line and leaves nothing`, async () => {
    const dir = treeImages(tree);
    try {
      const calls = await countCalls(dir);
      assert.ok(calls > 20, `only ${calls} calls counted`);
      const problems: string[] = [];
      for (let n = 1; n <= calls; n += 7) {
        const p = await faultRun(dir, n, ERRNOS[(n - 1) / 7 % ERRNOS.length]);
        if (p) problems.push(p);
      }
      assert.deepEqual(problems, []);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  });
}

Deno.test("openFiles leaves the caller's fd table exactly as it was, whichever call fails", () => {
  const dir = treeImages("tree_shared");
  const log = new Logger(LOG_LEVEL.MSG, () => {});
  try {
    const cp = loadCheckpoint(dir);
    const owners = cp.tasks.filter((t) => t.tableOwner === t);
    const run = () => {
      const inherit = new InheritFdTable({ callerFdsOnly: false, logger: log });
      try {
        openFiles(cp, owners, { root: "/", inherit, log }).release();
      } finally {
        inherit.finish();
      }
    };
    let calls = 0;
    setFaultInjector(() => void calls++);
    run();
    for (const errno of [ERRNO.EMFILE, ERRNO.ENOMEM, ERRNO.EINTR]) {
      for (let n = 1; n <= calls; n++) {
        const before = openFds();
        let seen = 0;
        setFaultInjector(() => ++seen === n ? errno : undefined);
        try {
          run();
        } catch {
          // a failed open is fine; a leaked fd is not
        }
        setFaultInjector(null);
        assert.deepEqual(openFds(), before, `call ${n} failing with ${errno}`);
      }
    }
  } finally {
    setFaultInjector(null);
    Deno.removeSync(dir, { recursive: true });
  }
});

for (const name of CORPUS_SCENARIOS) {
  Deno.test(`a ${name} restore with a failing libc call leaves the scenario's files as they were`, async () => {
    if (!haveCorpus(`fault sweep of ${name}`)) return;
    if (Deno.uid() !== 0) {
      return void console.log(`skipped: fault sweep of ${name}: prepare needs root`);
    }
    const dir = corpusImages(CORPUS, name);
    try {
      const calls = await countCalls(dir);
      prepareCorpus(CORPUS, name);
      const problems: string[] = [];
      // A sample spread over the whole restore; scripts/fault_sweep.ts does every call.
      const step = Math.max(1, Math.floor(calls / 12));
      for (let n = 1, i = 0; n <= calls; n += step, i++) {
        const p = await faultRunCorpus(CORPUS, name, dir, n, ERRNOS[i % ERRNOS.length]);
        if (p) problems.push(p);
      }
      assert.deepEqual(problems, []);
    } finally {
      Deno.removeSync(dir, { recursive: true });
      prepareCorpus(CORPUS, name);
    }
  });
}
