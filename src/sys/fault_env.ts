/**
 * TEST ONLY: arms the fault injector of errno.ts from the environment of the
 * fdrestore command, so tests can fail the N-th libc call of a real restore.
 *
 * - `FDRESTORE_TEST_FAULT=CALL:N:ERRNO` — the N-th call (1-based) named CALL
 *   (`*` for any call) fails with ERRNO (a name such as EMFILE, or a number),
 *   once.
 * - `FDRESTORE_TEST_FAULT_COUNT=FILE` — writes the number of calls made (per
 *   name, and `*`) to FILE as JSON when the process ends.
 *
 * Read only by main.ts, only for the main process (not tree helpers), and
 * ignored when neither variable is set.
 *
 * @module
 */
import { ERRNO, setFaultInjector } from "./errno.ts";

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // no --allow-env: never armed
  }
}

/** Installs the injector the environment asks for, if any. */
export function armFaultFromEnv(): void {
  const spec = env("FDRESTORE_TEST_FAULT");
  const countFile = env("FDRESTORE_TEST_FAULT_COUNT");
  if (spec === undefined && countFile === undefined) return;
  const counts: Record<string, number> = { "*": 0 };
  let fault: { call: string; n: number; errno: number } | undefined;
  if (spec !== undefined) {
    const [call, n, errno] = spec.split(":");
    const num = /^\d+$/.test(errno ?? "") ? Number(errno) : ERRNO[errno as keyof typeof ERRNO];
    if (!call || !(Number(n) > 0) || !num) {
      throw new Error(`FDRESTORE_TEST_FAULT=${spec}: want CALL:N:ERRNO`);
    }
    fault = { call, n: Number(n), errno: num };
  }
  setFaultInjector((call) => {
    counts["*"]++;
    counts[call] = (counts[call] ?? 0) + 1;
    if (fault && (fault.call === "*" || fault.call === call)) {
      if (counts[fault.call] === fault.n) return fault.errno;
    }
    return undefined;
  });
  if (countFile !== undefined) {
    globalThis.addEventListener("unload", () => {
      Deno.writeTextFileSync(countFile, JSON.stringify(counts) + "\n");
    });
  }
}
