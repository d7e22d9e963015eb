/** Import graphs as Deno resolves them (`deno info --json`), for tests of layering. */
import assert from "node:assert/strict";

/** One module of `deno info --json`: what it imports, for its code and for its types. */
export interface InfoModule {
  specifier: string;
  dependencies?: { code?: { specifier: string }; type?: { specifier: string } }[];
}

/** Every module `entry` imports, directly or not, by specifier (URL). */
export function infoModules(entry: URL | string): Map<string, InfoModule> {
  const out = new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry instanceof URL ? entry.pathname : entry],
    cwd: new URL("../../", import.meta.url),
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: InfoModule[] };
  return new Map(info.modules.map((m) => [m.specifier, m]));
}
