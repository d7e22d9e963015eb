/** Synchronous writes of command output (not diagnostics: those go to the logger). */
const encoder = new TextEncoder();

export function writeStdout(text: string): void {
  writeStdoutBytes(encoder.encode(text));
}

/** Writes all of `data`, in pieces of at most 1 MiB. */
export function writeStdoutBytes(data: Uint8Array): void {
  let off = 0;
  while (off < data.length) {
    off += Deno.stdout.writeSync(data.subarray(off, Math.min(data.length, off + (1 << 20))));
  }
}
