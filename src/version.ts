/** The release of fdrestore; the build stamps COMMIT into bundles. */
export const VERSION = "0.1.0";
/** The source commit, replaced by scripts/bundle.ts; "dev" when run from source. */
export const COMMIT: string = "dev";

/**
 * The commit to report: the stamped one, else (running from a source tree)
 * what git says about that tree, else "dev". Only `--version` asks, so the
 * git process costs nothing elsewhere.
 */
export function sourceCommit(): string {
  const fromSource = Deno.mainModule.startsWith("file:") && Deno.mainModule.endsWith(".ts");
  if (COMMIT !== "dev" || !fromSource) return COMMIT;
  try {
    // Never a permission prompt for this.
    if (Deno.permissions.querySync({ name: "run", command: "git" }).state !== "granted") {
      return COMMIT;
    }
    const dir = new URL(".", Deno.mainModule).pathname;
    const out = new Deno.Command("git", {
      args: ["-C", dir, "rev-parse", "--short", "HEAD"],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    const hash = new TextDecoder().decode(out.stdout).trim();
    return out.success && /^[0-9a-f]+$/.test(hash) ? hash : COMMIT;
  } catch {
    return COMMIT; // no git, or not allowed to run it
  }
}
