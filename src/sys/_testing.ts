/**
 * Test helpers for `src/sys/`: fd leak checks through /proc/self/fd (Deno's
 * sanitizers cannot see fds opened over FFI).
 *
 * @module
 */

import assert from "node:assert/strict";

/** The fd numbers open in this process right now. */
export function openFds(): number[] {
  const out: number[] = [];
  for (const e of Deno.readDirSync("/proc/self/fd")) out.push(Number(e.name));
  return out.sort((a, b) => a - b);
}

/** Runs `fn` and asserts that it left the fd table as it found it. */
export async function noLeak(fn: () => void | Promise<void>): Promise<void> {
  const before = openFds();
  await fn();
  assert.deepEqual(openFds(), before, "fds leaked or closed by the test");
}

/** Wraps a test body with {@link noLeak}. */
export function leakChecked(fn: () => void | Promise<void>): () => Promise<void> {
  return () => noLeak(fn);
}
