/**
 * Waiting for a restored task in the foreground: its exit status becomes
 * ours (128 + signal when killed), and SIGINT/SIGTERM/SIGHUP sent to
 * fdrestore are passed on to it — but not one the caller ignored (nohup):
 * that one stays ignored here and in the task.
 */
import { kill, waitpid } from "../sys/mod.ts";
import { type IgnoredSignals, SIGNAL_NUMBERS } from "./ignored_signals.ts";

const FORWARDED: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"];

export function waitForeground(
  pid: number,
  ignored: IgnoredSignals,
  opts: { sameGroup?: boolean } = {},
): Promise<number> {
  // Ended already (a short program): no listeners, no guard, no timer to load.
  const done = waitpid(pid, { nohang: true });
  if (done.exited) return Promise.resolve(exitCodeOf(done));
  let stopGuard: (() => void) | undefined;
  let ended = false;
  const promise = new Promise<number>((resolve) => {
    // The listeners first: between the restore's own (removed just before)
    // and these, a SIGINT finds none and Deno dies of it, as a shell job's
    // Ctrl-C right after its program started did while the guard below
    // loaded Deno's timers (~5 ms).
    const forwards = FORWARDED.filter((sig) => !ignored.inheritedIgnore(sig)).map((sig) => {
      const fn = () => {
        // In our process group the terminal's SIGINT reached it already.
        if (opts.sameGroup && sig === "SIGINT") return;
        try {
          kill(pid, SIGNAL_NUMBERS[sig]!);
        } catch {
          // it is gone already; SIGCHLD will tell
        }
      };
      Deno.addSignalListener(sig, fn);
      return [sig, fn] as const;
    });
    const check = () => {
      const st = waitpid(pid, { nohang: true });
      if (!st.exited) return;
      Deno.removeSignalListener("SIGCHLD", check);
      ended = true;
      stopGuard?.();
      for (const [sig, fn] of forwards) Deno.removeSignalListener(sig, fn);
      resolve(exitCodeOf(st));
    };
    Deno.addSignalListener("SIGCHLD", check);
    check(); // it may have ended before the listener existed
  });
  if (!ended) stopGuard = ignored.guard();
  return promise;
}

function exitCodeOf(st: { signal: number | null; code: number | null }): number {
  return st.signal !== null ? 128 + st.signal : st.code ?? 0;
}
