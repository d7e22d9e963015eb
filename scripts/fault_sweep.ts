/**
 * The full fault sweep (CI runs a sample): for each synthetic tree and corpus
 * scenario (every STEP-th call, argument 1, default 1),
 * every libc call of its restore fails in turn with each errno of
 * EMFILE, ENOMEM, EACCES, EINTR, EAGAIN, EPIPE. Prints problems and a summary.
 */
import { join } from "node:path";
import {
  CORPUS_SCENARIOS,
  corpusImages,
  countCalls,
  ERRNOS,
  faultRun,
  faultRunCorpus,
  prepareCorpus,
  treeImages,
  TREES,
} from "../tests/support/fault_sweep.ts";

const CORPUS = Deno.env.get("FDRESTORE_CORPUS") ??
  join(new URL("..", import.meta.url).pathname, "..", "shared", "criu-corpus");
/** Every STEP-th call for corpus scenarios (their restores make hundreds of calls). */
const STEP = Number(Deno.args[0] ?? 1);

let runs = 0;
let problems = 0;
const t0 = performance.now();
for (const tree of Object.keys(TREES)) {
  const dir = treeImages(tree);
  try {
    const calls = await countCalls(dir);
    for (let n = 1; n <= calls; n++) {
      for (const errno of ERRNOS) {
        const p = await faultRun(dir, n, errno);
        runs++;
        if (p) {
          problems++;
          console.log(`${tree}: ${p}`);
        }
      }
    }
    console.log(`${tree}: ${calls} calls x ${ERRNOS.length} errnos`);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}
for (const name of CORPUS_SCENARIOS) {
  const dir = corpusImages(CORPUS, name);
  try {
    const calls = await countCalls(dir);
    prepareCorpus(CORPUS, name);
    for (let n = 1; n <= calls; n += STEP) {
      for (const errno of ERRNOS) {
        const p = await faultRunCorpus(CORPUS, name, dir, n, errno);
        runs++;
        if (p) {
          problems++;
          console.log(`${name}: ${p}`);
        }
      }
    }
    console.log(`${name}: ${calls} calls (every ${STEP}) x ${ERRNOS.length} errnos`);
  } finally {
    Deno.removeSync(dir, { recursive: true });
    prepareCorpus(CORPUS, name);
  }
}
console.log(
  `fault sweep: ${runs} restores in ${
    ((performance.now() - t0) / 1000).toFixed(0)
  } s, ${problems} problems`,
);
Deno.exit(problems > 0 ? 1 : 0);
