/**
 * deno task compile: dist/fdrestore, one executable that needs no Deno, Node
 * or criu on the host. It is `deno compile` of the bundle (dist/fdrestore.js,
 * so node_modules is not embedded) with fdrestore's permissions baked in.
 *
 * `deno compile` needs Deno's `denort` runtime of the same version, taken from
 * DENORT_BIN, else Deno's cache, else downloaded from dl.deno.land. When none
 * can be had this stops with exit code 3 and says how to supply one; there is
 * no other way to make the executable.
 */
import { dirname, join } from "node:path";
import { PERMISSIONS, V8_FLAGS } from "../src/restore/self_exec.ts";
import { BuildError, BUNDLE, bundle, DENO, denoDir, REPO, run, sizeText } from "./bundle.ts";

export const BINARY: string = join(REPO, "dist", "fdrestore");
/** Exit code when no denort can be had (CI reports the compiled run as skipped). */
export const NO_DENORT = 3;

const TARGET = "x86_64-unknown-linux-gnu";

class NoDenortError extends BuildError {
  override name = "NoDenortError";
}

function denoVersion(): string {
  const m = run(DENO, ["--version"]).out.match(/^deno (\S+)/);
  if (!m) throw new BuildError(`cannot tell the version of ${DENO}`);
  return m[1];
}

function isExecutableFile(path: string): boolean {
  try {
    const st = Deno.statSync(path);
    return st.isFile && ((st.mode ?? 0) & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** Where denort will come from ("download": Deno fetches it), and its cache path. */
function denortSource(version: string): { from: string; cached: string } {
  const cached = join(denoDir(), "dl", "release", `v${version}`, `denort-${TARGET}.zip`);
  const given = Deno.env.get("DENORT_BIN");
  if (given !== undefined) {
    if (!isExecutableFile(given)) {
      throw new BuildError(`DENORT_BIN=${given} is not an executable file`);
    }
    return { from: `DENORT_BIN=${given}`, cached };
  }
  try {
    Deno.statSync(cached);
    return { from: cached, cached };
  } catch {
    return { from: "download", cached };
  }
}

function noDenortMessage(version: string, cached: string, why: string): string {
  const zip = `denort-${TARGET}.zip`;
  const url = `https://dl.deno.land/release/v${version}/${zip}`;
  const run = `deno run --no-config ${[...PERMISSIONS, ...V8_FLAGS].join(" ")} ${BUNDLE}`;
  return [
    `no denort ${version} (DENORT_BIN unset, none in Deno's cache, download failed), so no executable:`,
    `  DENORT_BIN is not set;`,
    `  Deno's cache has no ${cached};`,
    `  downloading ${url} failed: ${why}.`,
    "Supply denort in one of three ways, then run 'deno task compile' again:",
    "  1. DENORT_BIN=/path/to/denort deno task compile   (the binary inside that zip)",
    `  2. copy ${zip} into ${dirname(cached)}/`,
    "  3. run 'deno task compile' where https://dl.deno.land can be reached",
    `The bundle is built; it runs with '${run}'.`,
  ].join("\n");
}

/** The innermost cause of Deno's error chain, e.g. "dns error: failed to lookup ...". */
function reason(stderr: string): string {
  const chain = stderr.split("Stack backtrace:")[0];
  const causes = chain.split("\n").map((l) => l.trim()).filter((l) => /^\d+: /.test(l));
  return (causes.at(-1) ?? chain.trim().split("\n").at(-1) ?? "").replace(/^\d+: /, "");
}

/** Builds dist/fdrestore; returns where denort came from. */
export function compile(): string {
  bundle();
  const version = denoVersion();
  const { from, cached } = denortSource(version);
  const r = run(DENO, [
    "compile",
    "--quiet",
    "--no-config",
    "--no-lock",
    "--no-prompt",
    ...PERMISSIONS,
    ...V8_FLAGS,
    "-o",
    BINARY,
    BUNDLE,
  ]);
  if (!r.ok) {
    if (from === "download" && /dl\.deno\.land|denort|base binary/.test(r.err)) {
      throw new NoDenortError(noDenortMessage(version, cached, reason(r.err)));
    }
    throw new BuildError(`deno compile (denort from ${from}) failed:\n${r.err.trim()}`);
  }
  // A deno CLI binary given as DENORT_BIN yields a program that is the deno CLI.
  const v = run(BINARY, ["--version"]);
  if (!v.ok || !v.out.startsWith("fdrestore ")) {
    Deno.removeSync(BINARY);
    throw new BuildError(
      `the executable built with denort from ${from} does not run fdrestore ` +
        `(got: ${(v.out + v.err).trim().split("\n")[0]}); denort must be Deno's runtime-only ` +
        `binary from denort-${TARGET}.zip, not the deno CLI`,
    );
  }
  return from;
}

if (import.meta.main) {
  try {
    const from = compile();
    console.log(`compile: ${BINARY} (${sizeText(BINARY)}; denort from ${from})`);
    console.log(`bundle:  ${BUNDLE} (${sizeText(BUNDLE)})`);
  } catch (e) {
    if (!(e instanceof BuildError)) throw e;
    console.error(`compile: ${e.message}`);
    Deno.exit(e instanceof NoDenortError ? NO_DENORT : 1);
  }
}
