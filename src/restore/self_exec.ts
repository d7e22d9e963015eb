/**
 * How fdrestore starts itself as an internal helper: the compiled binary is
 * its own program; under `deno run` (from source or from the bundle) the
 * helper is the Deno binary running the same main module with the same rights.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const HELPER_COMMAND = "__helper";

export function selfCommand(args: readonly string[]): { path: string; argv: string[] } {
  const exe = Deno.execPath();
  if (Deno.build.standalone) return { path: exe, argv: [exe, ...args] };
  const main = fileURLToPath(Deno.mainModule);
  const flags = ["run", "--allow-all", "--no-prompt", "--quiet"];
  const config = join(dirname(main), "deno.json");
  if (main.endsWith(".js")) flags.push("--no-config", "--no-lock");
  else if (exists(config)) flags.push("--config", config);
  return { path: exe, argv: [exe, ...flags, main, ...args] };
}

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}
