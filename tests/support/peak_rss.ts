/**
 * Running the fdrestore command with a deadline and its peak RSS, measured
 * on the child by GNU time (the kernel's maxrss of the process), never a timing.
 */
import { FDRESTORE } from "./cli.ts";

export const GNU_TIME = "/usr/bin/time";

export interface MeasuredRun {
  code: number;
  stdout: Uint8Array;
  stderr: string;
  /** Peak RSS in bytes; undefined when GNU time is missing or the run was killed. */
  peak?: number;
  /** True when the deadline passed and the child was killed. */
  killed: boolean;
}

/** True when GNU time is there; otherwise prints why a measurement is skipped. */
export function haveGnuTime(what: string): boolean {
  try {
    if (Deno.statSync(GNU_TIME).isFile) return true;
  } catch {
    // fall through
  }
  console.log(`skipped: ${what}: no GNU time at ${GNU_TIME}`);
  return false;
}

/**
 * Runs fdrestore with `args` (stdin from `stdin` when given), killing it with
 * SIGKILL after `deadlineMs`: a hang fails the test instead of stalling it.
 */
export async function runMeasured(
  args: string[],
  opts: { deadlineMs?: number; stdin?: string; stdout?: "piped" | "null" } = {},
): Promise<MeasuredRun> {
  const timed = haveGnuTimeQuiet();
  const cmd = new Deno.Command(timed ? GNU_TIME : FDRESTORE, {
    args: timed ? ["-f", "%M", FDRESTORE, ...args] : args,
    env: { NO_COLOR: "1" },
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: opts.stdout ?? "piped",
    stderr: "piped",
  });
  const child = cmd.spawn();
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    // GNU time's own child first (ours too): killing time alone would orphan it.
    for (const pid of childrenOf(child.pid)) Deno.kill(pid, "SIGKILL");
    child.kill("SIGKILL");
  }, opts.deadlineMs ?? 20_000);
  if (opts.stdin !== undefined) {
    const file = await Deno.open(opts.stdin);
    await file.readable.pipeTo(child.stdin);
  }
  const out = await child.output();
  clearTimeout(timer);
  let stderr = new TextDecoder().decode(out.stderr);
  let peak: number | undefined;
  if (timed && !killed) {
    // GNU time's last line is the figure; it may add "Command exited with non-zero status N".
    const lines = stderr.trimEnd().split("\n").filter((l) =>
      !/^Command (exited|terminated)/.test(l)
    );
    peak = Number(lines.pop()) * 1024;
    stderr = lines.length ? lines.join("\n") + "\n" : "";
  }
  const stdout = opts.stdout === "null" ? new Uint8Array(0) : out.stdout;
  return { code: out.code, stdout, stderr, peak, killed };
}

function childrenOf(pid: number): number[] {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`).trim();
    return text ? text.split(" ").map(Number) : [];
  } catch {
    return [];
  }
}

function haveGnuTimeQuiet(): boolean {
  try {
    return Deno.statSync(GNU_TIME).isFile;
  } catch {
    return false;
  }
}
