/**
 * SIGINT, SIGTERM and SIGHUP while a restore is under way: caught (so they
 * cannot kill fdrestore halfway and orphan what it started) and acted on at
 * the next checkpoint between phases, where the restore is rolled back. One
 * the caller ignored stays ignored; SIGUSR1 is ignored throughout
 * (ignored_signals.ts).
 */
import { RestoreError } from "../restore_error.ts";
import type { IgnoredSignals } from "./ignored_signals.ts";
import { loopTurn } from "./pause.ts";

const SIGNALS: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/** The error of an interrupted restore; the caller rolls back as for any failure. */
export class RestoreInterrupted extends RestoreError {}

export interface InterruptWatch {
  /** Waits up to `ms`, less when a signal comes. */
  pause(ms: number): Promise<void>;
  /** Lets pending signals be delivered; throws RestoreInterrupted if one came. */
  checkpoint(): Promise<void>;
  /** Removes the listeners (before the foreground wait installs its own). */
  stop(): void;
}

export function watchInterrupts(ignored: IgnoredSignals): InterruptWatch {
  let caught: Deno.Signal | undefined;
  let wake: (() => void) | undefined;
  ignored.reassert();
  const listeners = SIGNALS.filter((sig) => !ignored.inheritedIgnore(sig)).map((sig) => {
    const fn = () => {
      caught ??= sig;
      wake?.();
    };
    Deno.addSignalListener(sig, fn);
    return [sig, fn] as const;
  });
  let stopped = false;
  return {
    async pause(ms) {
      if (caught) return;
      const stopGuard = ignored.guard(); // timers run: Deno may install its handlers
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
      stopGuard();
    },
    async checkpoint() {
      // Signal listeners run from the event loop: give it two turns, so a
      // signal already pending is dispatched before the check.
      await loopTurn();
      await loopTurn();
      ignored.reassert();
      if (caught) {
        throw new RestoreInterrupted(
          `restore interrupted by ${caught}; every started task was killed`,
        );
      }
    },
    stop() {
      if (stopped) return;
      stopped = true;
      for (const [sig, fn] of listeners) Deno.removeSignalListener(sig, fn);
    },
  };
}

/** TEST ONLY: FDRESTORE_TEST_PAUSE_MS holds the restore after its tasks started. */
export async function testPause(watch: InterruptWatch): Promise<void> {
  let ms = 0;
  try {
    ms = Number(Deno.env.get("FDRESTORE_TEST_PAUSE_MS") ?? 0);
  } catch {
    return;
  }
  if (ms > 0) await watch.pause(ms);
}
