/**
 * `deno task fuzz [CASES] [SEED] [CLI_EVERY] [ARCHIVES]`: mutates every corpus
 * image and the sample, runs decode, show and check on each case in-process,
 * and every CLI_EVERY-th case (default 200) through the real command too;
 * then ARCHIVES (default CASES / 20) hostile container checkpoint archives
 * (tests/support/fuzz_archive.ts), every CLI_EVERY/4-th through the command.
 * Prints one line per finding and a summary; exits 1 when anything was found.
 */
import { join } from "node:path";
import { makeCase, prng, seedDirs } from "../tests/support/fuzz_mutate.ts";
import {
  archiveSeeds,
  describeArchiveFinding,
  makeArchiveCase,
  runArchiveCase,
} from "../tests/support/fuzz_archive.ts";
import {
  describeFinding,
  type Finding,
  runInProcess,
  runThroughCli,
  Workspace,
} from "../tests/support/fuzz_run.ts";

const cases = Number(Deno.args[0] ?? 100000);
const seed = Number(Deno.args[1] ?? 1);
const cliEvery = Number(Deno.args[2] ?? 200);
const archives = Number(Deno.args[3] ?? Math.ceil(cases / 20));
const seeds = seedDirs();
const ws = new Workspace(seeds);
const rng = prng(seed);
const findings: Finding[] = [];
const byMutation = new Map<string, number>();
const t0 = performance.now();
let slowest = 0;
try {
  for (let i = 0; i < cases; i++) {
    const c = makeCase(rng, seeds, i);
    const kind = c.mutation.split(" ")[0];
    byMutation.set(kind, (byMutation.get(kind) ?? 0) + 1);
    const t = performance.now();
    const found = await runInProcess(c, ws);
    slowest = Math.max(slowest, performance.now() - t);
    if (cliEvery > 0 && i % cliEvery === 0) found.push(...await runThroughCli(c, ws));
    for (const f of found) console.log(describeFinding(f));
    findings.push(...found);
    if ((i + 1) % 10000 === 0) {
      console.error(
        `${i + 1} cases, ${findings.length} findings, ${
          ((performance.now() - t0) / 1000).toFixed(0)
        } s`,
      );
    }
  }
} finally {
  ws.dispose();
}
const secs = (performance.now() - t0) / 1000;
console.log(
  `fuzz: ${cases} cases (seed ${seed}) over ${seeds.length} image folders in ${
    secs.toFixed(1)
  } s, ` +
    `slowest case ${slowest.toFixed(0)} ms (decode+show+check), ` +
    `peak RSS now ${
      (Deno.memoryUsage().rss / 1048576).toFixed(0)
    } MiB; ${findings.length} findings`,
);
console.log(`mutations: ${[...byMutation].map(([k, n]) => `${k} ${n}`).join(", ")}`);

// Hostile archives: their own loop, since each case is a whole checkpoint.
const a0 = performance.now();
const aseeds = archiveSeeds();
const base = Deno.makeTempDirSync({ prefix: "fdrestore-fuzz-archive-" });
Deno.mkdirSync(join(base, "root"));
const byFormat = new Map<string, number>();
let archiveFindings = 0, archiveCli = 0;
const rss0 = Deno.memoryUsage().rss;
let peak = rss0;
try {
  for (let i = 0; i < archives; i++) {
    const c = await makeArchiveCase(rng, aseeds, i);
    const key = `${c.format} ${c.mutation.split(" ")[0]}`;
    byFormat.set(key, (byFormat.get(key) ?? 0) + 1);
    const cli = cliEvery > 0 && i % Math.max(1, Math.floor(cliEvery / 4)) === 0;
    if (cli) archiveCli++;
    const found = await runArchiveCase(c, base, join(base, "root"), cli);
    peak = Math.max(peak, Deno.memoryUsage().rss);
    for (const f of found) console.log(describeArchiveFinding(f));
    archiveFindings += found.length;
  }
} finally {
  Deno.removeSync(base, { recursive: true });
}
console.log(
  `fuzz archives: ${archives} cases (${archiveCli} also through the CLI) over ${aseeds.length} ` +
    `scenarios in ${((performance.now() - a0) / 1000).toFixed(1)} s, peak RSS ${
      (peak / 1048576).toFixed(0)
    } MiB (${((peak - rss0) / 1048576).toFixed(0)} MiB above the start); ` +
    `${archiveFindings} findings`,
);
console.log(`archive mutations: ${[...byFormat].sort().map(([k, n]) => `${k} ${n}`).join(", ")}`);
Deno.exit(findings.length + archiveFindings > 0 ? 1 : 0);
