/** True when the tests run as root; otherwise prints a visible skip line naming why. */
export function haveRoot(what: string): boolean {
  if (Deno.uid() === 0) return true;
  console.log(`skipped: ${what}: needs root`);
  return false;
}
