/** Synchronous writes of command output (not diagnostics: those go to the logger). */
import { EXIT, FdrestoreError, OutputError } from "../errors.ts";

/** stdout's reader went away (`| head`): the command stops quietly, as coreutils' do. */
export class StdoutClosed extends FdrestoreError {
  constructor(options?: ErrorOptions) {
    super("stdout was closed by its reader", EXIT.CLOSED_STDOUT, options);
  }
}

const encoder = new TextEncoder();

export function writeStdout(text: string): void {
  writeStdoutBytes(encoder.encode(text));
}

/** Writes all of `data`, in pieces of at most 1 MiB. */
export function writeStdoutBytes(data: Uint8Array): void {
  let off = 0;
  try {
    while (off < data.length) {
      off += Deno.stdout.writeSync(data.subarray(off, Math.min(data.length, off + (1 << 20))));
    }
  } catch (e) {
    // Deno ignores SIGPIPE: a closed reader shows as EPIPE here.
    if (e instanceof Deno.errors.BrokenPipe) throw new StdoutClosed({ cause: e });
    const why = e instanceof Error ? e.message : String(e);
    throw new OutputError(`cannot write to stdout: ${why}`, { cause: e });
  }
}
