/** Synchronous writes of command output (not diagnostics: those go to the logger). */
const encoder = new TextEncoder();

export function writeStdout(text: string): void {
  const data = encoder.encode(text);
  let off = 0;
  while (off < data.length) off += Deno.stdout.writeSync(data.subarray(off));
}
