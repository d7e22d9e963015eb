/**
 * The full fault sweep (CI runs every 7th call): for each synthetic tree,
 * every libc call of its restore fails in turn with each errno of
 * EMFILE, ENOMEM, EACCES, EINTR, EAGAIN, EPIPE. Prints problems and a summary.
 */
import { countCalls, ERRNOS, faultRun, treeImages, TREES } from "../tests/support/fault_sweep.ts";

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
console.log(
  `fault sweep: ${runs} restores in ${
    ((performance.now() - t0) / 1000).toFixed(0)
  } s, ${problems} problems`,
);
Deno.exit(problems > 0 ? 1 : 0);
