/** What the benchmark scripts share: timing a command, its peak RSS, and printing rows. */

/** Runs per timed command (the best one counts). */
export const RUNS = 3;

export function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Best wall time of `runs` runs of a command, in ms; stdout discarded. */
export function timeCmd(cmd: string, args: string[], runs = RUNS): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const out = new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).outputSync();
    const ms = performance.now() - t;
    if (!out.success) {
      throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
    }
    best = Math.min(best, ms);
  }
  return best;
}

/** Peak RSS in MB of one run (GNU time). */
export function peakRss(cmd: string, args: string[]): number | undefined {
  if (!exists("/usr/bin/time")) return undefined;
  const out = new Deno.Command("/usr/bin/time", {
    args: ["-f", "%M", cmd, ...args],
    stdout: "null",
    stderr: "piped",
  })
    .outputSync();
  const kb = Number(new TextDecoder().decode(out.stderr).trim().split("\n").pop());
  return kb > 0 ? Math.round(kb / 1024) : undefined;
}

export const fmt = (ms: number): string => ms < 10 ? ms.toFixed(2) : ms.toFixed(0);

/** Prints one row of the report, cells separated by " | ". */
export function row(...cells: string[]): void {
  console.log(cells.join("  |  "));
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[s.length >> 1];
}
