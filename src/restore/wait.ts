/**
 * Waiting for a restored task in the foreground: its exit status becomes
 * ours (128 + signal when killed), and SIGINT/SIGTERM/SIGHUP sent to
 * fdrestore are passed on to it.
 */
import { log } from "../cli/log.ts";
import { ignoreSignal, kill, waitpid } from "../sys/mod.ts";

const FORWARDED: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"];
const NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

export function waitForeground(
  pid: number,
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
    const forwards = FORWARDED.map((sig) => {
      const fn = () => {
        // In our process group the terminal's SIGINT reached it already.
        if (opts.sameGroup && sig === "SIGINT") return;
        try {
          kill(pid, NUMBERS[sig]);
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
  if (!ended) stopGuard = guardInspectorSignal();
  return promise;
}

function exitCodeOf(st: { signal: number | null; code: number | null }): number {
  return st.signal !== null ? 128 + st.signal : st.code ?? 0;
}

/**
 * Deno (>= 2.9.2) installs a SIGUSR1 handler about 500 ms after start that
 * opens a V8 inspector on 127.0.0.1:9229 — a back door into a root process
 * that waits for its tasks. Ignoring SIGUSR1 before the runtime installs its
 * handler is undone (and it may install it more than once), so during the
 * first seconds of the process SIGUSR1 is set to SIG_IGN again and again
 * (a cheap syscall; reading /proc/self/status instead would need --allow-all
 * in a compiled fdrestore). Returns a function that stops.
 */
export function guardInspectorSignal(): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  // performance.now() counts from the start of this process.
  const WATCH_UNTIL_MS = 3000;
  const look = () => {
    timer = undefined;
    try {
      ignoreSignal(10); // SIGUSR1
    } catch (e) {
      log.debug(`cannot ignore SIGUSR1: ${e instanceof Error ? e.message : e}`);
      return;
    }
    const now = performance.now();
    if (now < WATCH_UNTIL_MS) timer = setTimeout(look, now < 1000 ? 5 : 50);
  };
  look();
  return () => {
    if (timer !== undefined) clearTimeout(timer);
  };
}
