/**
 * How fdrestore starts itself as an internal helper: the compiled binary is
 * its own program (with its permissions baked in); under `deno run` (from
 * source or from the bundle) the helper is the Deno binary running the same
 * main module with the permissions fdrestore needs.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const HELPER_COMMAND = "__helper";

/**
 * The Deno permissions fdrestore needs: libc through FFI (every system call
 * that touches fds and processes, posix_spawn and execve included, so no
 * --allow-run), reading images and files, writing pidfiles, logs and
 * recreated files, and the environment (NO_COLOR, a helper's program
 * environment). Once FFI is allowed the others protect nothing; they are
 * listed so the program says what it does. `deno task compile` bakes these in.
 */
export const PERMISSIONS: readonly string[] = [
  "--allow-ffi",
  "--allow-read",
  "--allow-write",
  "--allow-env",
];

export function selfCommand(args: readonly string[]): { path: string; argv: string[] } {
  const exe = Deno.execPath();
  if (Deno.build.standalone) return { path: exe, argv: [exe, ...args] };
  const main = fileURLToPath(Deno.mainModule);
  const flags = ["run", ...PERMISSIONS, "--no-prompt", "--quiet"];
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
