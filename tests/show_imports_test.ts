/**
 * `show` loads no restore code: the modules `fdrestore show` imports at run
 * time (type-only imports aside) include nothing from src/files/ or
 * src/restore/. Fd type descriptors (src/fdtypes/) are what keeps it so.
 */
import assert from "node:assert/strict";
import { infoModules } from "./support/import_graph.ts";

/** The modules `entry` loads at run time, per `deno info --json`. */
function runtimeModules(entry: URL): string[] {
  const modules = infoModules(entry);
  const seen = new Set<string>([entry.href]);
  const todo = [entry.href];
  for (let s = todo.pop(); s !== undefined; s = todo.pop()) {
    for (const d of modules.get(s)?.dependencies ?? []) {
      const next = d.code?.specifier;
      if (next && !seen.has(next)) seen.add(next), todo.push(next);
    }
  }
  return [...seen];
}

Deno.test("show loads no module of src/files/ or src/restore/", () => {
  const src = new URL("../src/", import.meta.url);
  const loaded = runtimeModules(new URL("cli/show_command.ts", src));
  assert.ok(loaded.includes(new URL("fdtypes/mod.ts", src).href), "describes through fdtypes");
  const restore = loaded.filter((m) =>
    m.startsWith(new URL("files/", src).href) || m.startsWith(new URL("restore/", src).href)
  );
  assert.deepEqual(restore, []);
});
