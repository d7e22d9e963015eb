/**
 * Signals a restore keeps ignored for its whole run: SIGUSR1, and every
 * signal the caller had ignored when fdrestore started (`nohup` ignores
 * SIGHUP; a script's background job, SIGINT).
 *
 * - SIGUSR1: its default action kills fdrestore with nothing rolled back, and
 *   once Deno (>= 2.9.2) has installed its handler it opens a V8 inspector on
 *   127.0.0.1:9229 — a back door into a root process.
 * - An inherited ignore is kept, as exec keeps it: fdrestore neither rolls
 *   back on such a signal nor passes it on, and the started program inherits
 *   the ignore (src/sys/spawn.ts keepIgnored).
 *
 * Deno installs handlers for SIGHUP, SIGINT, SIGTERM and SIGUSR1 from a
 * runtime timer ~500 ms after start, replacing SIG_IGN (and may do it more
 * than once). It runs only while the event loop turns, so the ignores are set
 * again after every await of the restore ({@link IgnoredSignals.reassert}),
 * and on a short timer while fdrestore waits ({@link IgnoredSignals.guard}).
 */
import { log } from "../log.ts";
import { ignoreSignal, SIG } from "../sys/mod.ts";

/** The numbers of the signals a restore acts on or passes on. */
export const SIGNAL_NUMBERS: Readonly<Partial<Record<Deno.Signal, number>>> = {
  SIGHUP: SIG.HUP,
  SIGINT: SIG.INT,
  SIGTERM: SIG.TERM,
};

export class IgnoredSignals {
  readonly #all: readonly number[];

  /** `inherited`: the signals ignored at start (src/sys/signals.ts inheritedIgnores). */
  constructor(readonly inherited: readonly number[] = []) {
    this.#all = [...new Set([SIG.USR1, ...inherited])];
  }

  /** True when the caller ignored `sig`: fdrestore then leaves it ignored. */
  inheritedIgnore(sig: Deno.Signal): boolean {
    const n = SIGNAL_NUMBERS[sig];
    return n !== undefined && this.inherited.includes(n);
  }

  /** Sets every one to SIG_IGN (again). */
  reassert(): void {
    try {
      for (const sig of this.#all) ignoreSignal(sig);
    } catch (e) {
      log.debug(`cannot ignore a signal: ${e instanceof Error ? e.message : e}`);
    }
  }

  /**
   * While fdrestore waits (the event loop turns freely), sets the ignores
   * again and again until 3 s after the process started: a cheap syscall;
   * reading /proc/self/status instead would need /proc. Returns a function
   * that stops.
   */
  guard(): () => void {
    let timer: ReturnType<typeof setTimeout> | undefined;
    // performance.now() counts from the start of this process.
    const WATCH_UNTIL_MS = 3000;
    const look = () => {
      timer = undefined;
      this.reassert();
      const now = performance.now();
      if (now < WATCH_UNTIL_MS) timer = setTimeout(look, now < 1000 ? 5 : 50);
    };
    look();
    return () => {
      if (timer !== undefined) clearTimeout(timer);
    };
  }
}
