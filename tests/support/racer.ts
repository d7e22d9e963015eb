/**
 * The attacker of the --root race tests: swaps two names of one folder with
 * renameat2(RENAME_EXCHANGE) in a tight loop, for at most COUNT swaps or MS
 * milliseconds, then prints how many swaps succeeded. A missing name is not
 * an error (the restore under attack may not have made it yet).
 *
 *   deno run --allow-ffi --allow-read racer.ts DIR NAME_A NAME_B COUNT MS
 */
import { close, exchange, O, open } from "../../src/sys/mod.ts";

const [dirPath, a, b, count, ms] = Deno.args;
const dir = open(dirPath, O.PATH | O.DIRECTORY | O.CLOEXEC);
const until = Date.now() + Number(ms);
let swaps = 0;
for (let i = 0; i < Number(count) && Date.now() < until; i++) {
  try {
    exchange(dir, a, dir, b);
    swaps++;
  } catch {
    // a name is not there right now
  }
}
close(dir);
console.log(swaps);
