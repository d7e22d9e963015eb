/**
 * Signal dispositions at the C level: reading them (sigaction with no new
 * action) and setting SIG_IGN. Deno installs its own handlers for SIGHUP,
 * SIGINT, SIGTERM and SIGUSR1 from a runtime timer ~500 ms after start, so a
 * disposition inherited from the caller is read before the first await.
 *
 * @module
 */

import { SIG } from "./consts.ts";
import { check, SysError } from "./errno.ts";
import { libc } from "./libc.ts";
import { alloc, OFFSETOF, SIZEOF, view } from "./structs.ts";

/**
 * Ignores `sig` at the C level (signal(2) with SIG_IGN). Deno's own handlers
 * are replaced too: this is how fdrestore turns off Deno's SIGUSR1 inspector.
 */
export function ignoreSignal(sig: number): void {
  const SIG_IGN = 1n; // local: bundled module constants may not be set yet when this runs
  const c = libc();
  // signal() returns SIG_ERR (-1 as an address) on failure.
  const r = c.signal(sig, SIG_IGN);
  if (r === 0xffff_ffff_ffff_ffffn) throw new SysError("signal", 22, [`signal ${sig}`]);
}

/** True when `sig`'s disposition is SIG_IGN now (sigaction(2), nothing changed). */
export function isSignalIgnored(sig: number): boolean {
  const c = libc();
  const old = alloc(SIZEOF.sigaction);
  check("sigaction", () => c.sigaction(sig, null, old), `signal ${sig}`);
  return view(old).getBigUint64(OFFSETOF.sigaction.sa_handler, true) === 1n; // SIG_IGN
}

/**
 * The signals this process was started with ignored (as under `nohup`, or
 * SIGINT for a background job of a script), 1..31. SIGPIPE is left out: Deno
 * ignores it itself, so whether the caller did cannot be told. Call it before
 * the first await.
 */
export function inheritedIgnores(): number[] {
  const out: number[] = [];
  for (let sig = 1; sig <= 31; sig++) {
    if (sig === SIG.KILL || sig === SIG.PIPE || sig === 19) continue; // 19: SIGSTOP
    if (isSignalIgnored(sig)) out.push(sig);
  }
  return out;
}
