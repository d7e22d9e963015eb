/**
 * Waiting for a restored task in the foreground: its exit status becomes
 * ours (128 + signal when killed), and SIGINT/SIGTERM/SIGHUP sent to
 * fdrestore are passed on to it.
 */
import { ignoreSignal, kill, waitpid } from "../sys/mod.ts";

const FORWARDED: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"];
const NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

export function waitForeground(
  pid: number,
  opts: { sameGroup?: boolean } = {},
): Promise<number> {
  const stopGuard = guardInspectorSignal();
  return new Promise((resolve) => {
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
      stopGuard();
      for (const [sig, fn] of forwards) Deno.removeSignalListener(sig, fn);
      resolve(st.signal !== null ? 128 + st.signal : st.code ?? 0);
    };
    Deno.addSignalListener("SIGCHLD", check);
    check(); // it may have ended before the listener existed
  });
}

const SIGUSR1 = 10;

/** True when this process catches SIGUSR1 (bit 9 of SigCgt in /proc/self/status). */
function catchesSigusr1(): boolean {
  const m = /^SigCgt:\s*([0-9a-f]+)$/m.exec(Deno.readTextFileSync("/proc/self/status"));
  return m !== null && (BigInt("0x" + m[1]) & (1n << BigInt(SIGUSR1 - 1))) !== 0n;
}

/**
 * Deno (>= 2.9.2) installs a SIGUSR1 handler about 500 ms after start that
 * opens a V8 inspector on 127.0.0.1:9229 — a back door into a root process
 * that waits for its tasks. Ignoring SIGUSR1 before the runtime installs its
 * handler is undone, so watch for the handler and replace it the moment it
 * appears. Returns a function that stops watching.
 */
export function guardInspectorSignal(): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = performance.now() + 5000;
  const look = () => {
    timer = undefined;
    try {
      if (catchesSigusr1()) return ignoreSignal(SIGUSR1);
    } catch {
      return; // no /proc: nothing we can watch
    }
    if (performance.now() < deadline) timer = setTimeout(look, 5);
  };
  look();
  return () => {
    if (timer !== undefined) clearTimeout(timer);
  };
}
