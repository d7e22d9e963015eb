/** Runs the racer (tests/support/racer.ts) in a child process while a test attacks. */
import { join } from "node:path";
import { REPO_ROOT } from "./corpus.ts";

export interface Racer {
  /** Waits for the racer to end (bounded by its count and time) and returns its swap count. */
  swaps(): Promise<number>;
}

/** Starts swapping `a` and `b` in `dir` for at most `count` swaps or `ms` milliseconds. */
export function startRacer(dir: string, a: string, b: string, count: number, ms: number): Racer {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-config",
      "--allow-ffi",
      "--allow-read",
      join(REPO_ROOT, "tests", "support", "racer.ts"),
      dir,
      a,
      b,
      String(count),
      String(ms),
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  return {
    swaps: async () => Number(new TextDecoder().decode((await child.output()).stdout).trim()),
  };
}
