/**
 * How fdrestore starts itself as an internal helper: the compiled binary is
 * its own program (with its permissions baked in); under `deno run` (from
 * source or from the bundle) the helper is the Deno binary running the same
 * main module with the permissions fdrestore needs.
 */
import { dirname, fileUrlToPath, join } from "../sys/path.ts";

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

/**
 * V8 settings fdrestore runs with (the launchers and `deno task compile` pass
 * them too): a young generation of at most 2 MiB per semi-space. Restores and
 * `show` allocate many short-lived objects; V8's default lets the young
 * generation grow to 16 MiB per semi-space, which made the peak RSS of a
 * 9,000-fd restore ~100 MB instead of ~75 MB, and was no faster.
 */
export const V8_FLAGS: readonly string[] = ["--v8-flags=--max-semi-space-size=2"];

export function selfCommand(args: readonly string[]): { path: string; argv: string[] } {
  const exe = Deno.execPath();
  if (Deno.build.standalone) return { path: exe, argv: [exe, ...args] };
  const main = fileUrlToPath(Deno.mainModule);
  const flags = ["run", ...PERMISSIONS, ...V8_FLAGS, "--no-prompt", "--quiet"];
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
