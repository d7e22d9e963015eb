/**
 * Runs the fdrestore command in a subprocess: the executable named by
 * FDRESTORE_BIN (a bundle launcher or the compiled binary), else this source
 * tree through scripts/fdrestore-dev.
 */
import { join } from "node:path";
import { REPO_ROOT } from "./corpus.ts";

export const FDRESTORE: string = Deno.env.get("FDRESTORE_BIN") ??
  join(REPO_ROOT, "scripts", "fdrestore-dev");

/** The restorer corpus-check runs on each scenario (its placeholders in braces). */
export const CORPUS_RESTORER: readonly string[] = [
  FDRESTORE,
  "restore",
  "-D",
  "{images}",
  "{inherit}",
  "{criu_extra}",
  "-d",
  "--pidfile",
  "{pidfile}",
  "--pid-map",
  "{pidmap}",
  "--",
  "{holder}",
];

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; stdin?: "null" | "piped" } = {},
): Promise<CliResult> {
  const cmd = new Deno.Command(FDRESTORE, {
    args,
    cwd: opts.cwd,
    env: { NO_COLOR: "1", ...opts.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
  const out = await cmd.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
