/** `fdrestore decode`: crit-compatible JSON of one image, or of every image of a directory. */
import { decodeImageToJson, renderJson } from "../image/mod.ts";
import type { DecodeOptions } from "./options.ts";
import { writeStdout } from "./output.ts";

export function runDecode(opts: DecodeOptions): number {
  const input = opts.input ?? "/dev/stdin";
  const text = renderJson(decodeImageToJson(input, { pretty: opts.pretty }), opts.pretty) + "\n";
  if (opts.output) Deno.writeTextFileSync(opts.output, text);
  else writeStdout(text);
  return 0;
}
