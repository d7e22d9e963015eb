/** `fdrestore decode`: crit-compatible JSON of one image. */
import { decodeImageToJsonText } from "../image/mod.ts";
import type { DecodeOptions } from "./options.ts";
import { writeStdoutBytes } from "./output.ts";

const NL = new Uint8Array([0x0a]);

export function runDecode(opts: DecodeOptions): number {
  const input = opts.input ?? "/dev/stdin";
  // The whole text is made before anything is written: a bad image prints no partial JSON.
  const text = decodeImageToJsonText(input, opts.pretty);
  if (opts.output) {
    Deno.writeFileSync(opts.output, text);
    Deno.writeFileSync(opts.output, NL, { append: true });
  } else {
    writeStdoutBytes(text);
    writeStdoutBytes(NL);
  }
  return 0;
}
