/**
 * deno task bundle: dist/fdrestore.js, the whole program in one file — the
 * .proto schema compiled to JSON (src/image/schema_json.ts) — with the
 * source commit stamped in. It runs from anywhere with
 * `deno run --no-config --no-lock <permissions> fdrestore.js`, and it is what
 * `deno task compile` embeds.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO: string = join(dirname(fileURLToPath(import.meta.url)), "..");
export const DENO: string = join(REPO, "node_modules", "@deno", "linux-x64-glibc", "deno");
export const BUNDLE: string = join(REPO, "dist", "fdrestore.js");

/**
 * `deno bundle` runs esbuild, which Deno 2.9.6 looks for at this place in its
 * cache before fetching @esbuild/linux-x64 from the npm registry. package.json
 * pins the same package, so after `npm ci` the bundle builds offline.
 */
const ESBUILD_VERSION = "0.25.5";
const ESBUILD_CACHED = join("dl", `esbuild-${ESBUILD_VERSION}-1`, "esbuild-linux-x64");
const ESBUILD_NPM = join(REPO, "node_modules", "@esbuild", "linux-x64", "bin", "esbuild");

/** A build step failed; the message says what to do. */
export class BuildError extends Error {
  override name = "BuildError";
}

export function run(cmd: string, args: string[]): { ok: boolean; out: string; err: string } {
  const r = new Deno.Command(cmd, {
    args,
    cwd: REPO,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  })
    .outputSync();
  const dec = new TextDecoder();
  return { ok: r.success, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
}

/** Deno's cache directory ($DENO_DIR, else its default), as Deno itself reports it. */
export function denoDir(): string {
  const r = run(DENO, ["info", "--json"]);
  if (!r.ok) throw new BuildError(`deno info failed: ${r.err.trim()}`);
  return (JSON.parse(r.out) as { denoDir: string }).denoDir;
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Puts node_modules' esbuild where `deno bundle` looks, unless one is there. */
function provideEsbuild(): void {
  const cached = join(denoDir(), ESBUILD_CACHED);
  if (isFile(cached) || !isFile(ESBUILD_NPM)) return;
  Deno.mkdirSync(dirname(cached), { recursive: true });
  const tmp = `${cached}.${Deno.pid}`;
  Deno.copyFileSync(ESBUILD_NPM, tmp);
  Deno.chmodSync(tmp, 0o755);
  Deno.renameSync(tmp, cached);
}

function commit(): string {
  const r = run("git", ["rev-parse", "--short", "HEAD"]);
  return r.ok ? r.out.trim() : "unknown";
}

/** Builds the bundle at `out`, returns the commit stamped into it. */
export function bundle(out: string = BUNDLE): string {
  if (!isFile(DENO)) throw new BuildError(`no Deno at ${DENO}: run 'npm ci' first`);
  provideEsbuild();
  Deno.mkdirSync(dirname(out), { recursive: true });
  const r = run(DENO, ["bundle", "--quiet", "-o", out, join(REPO, "main.ts")]);
  if (!r.ok) throw new BuildError(`deno bundle failed:\n${r.err.trim()}`);
  // src/version.ts says COMMIT = "dev"; the bundle carries the real commit.
  const text = Deno.readTextFileSync(out);
  const stamp = /\bCOMMIT = "dev";/g;
  const found = text.match(stamp)?.length ?? 0;
  if (found !== 1) {
    throw new BuildError(`expected one 'COMMIT = "dev";' in ${out}, found ${found}`);
  }
  const hash = commit();
  Deno.writeTextFileSync(out, text.replace(stamp, `COMMIT = ${JSON.stringify(hash)};`));
  return hash;
}

export function sizeText(path: string): string {
  const size = Deno.statSync(path).size;
  return size >= 1e6 ? `${(size / 1e6).toFixed(1)} MB` : `${Math.round(size / 1e3)} kB`;
}

if (import.meta.main) {
  try {
    const hash = bundle();
    console.log(`bundle: ${BUNDLE} (${sizeText(BUNDLE)}, commit ${hash})`);
  } catch (e) {
    if (!(e instanceof BuildError)) throw e;
    console.error(`bundle: ${e.message}`);
    Deno.exit(1);
  }
}
