/**
 * Waiting for a restored task in the foreground: its exit status becomes
 * ours (128 + signal when killed), and SIGINT/SIGTERM/SIGHUP sent to
 * fdrestore are passed on to it.
 */
import { kill, waitpid } from "../sys/mod.ts";

const FORWARDED: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"];
const NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

export function waitForeground(
  pid: number,
  opts: { sameGroup?: boolean } = {},
): Promise<number> {
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
      for (const [sig, fn] of forwards) Deno.removeSignalListener(sig, fn);
      resolve(st.signal !== null ? 128 + st.signal : st.code ?? 0);
    };
    Deno.addSignalListener("SIGCHLD", check);
    check(); // it may have ended before the listener existed
  });
}
