/**
 * src/ has no import cycle, not even through type-only imports: layers stay
 * layers, and a module's imports are done before its own code runs.
 */
import assert from "node:assert/strict";
import { infoModules } from "./support/import_graph.ts";

const SRC = new URL("../src/", import.meta.url);

/** The modules of src/, tests left out (nothing imports them). */
function modules(dir: URL): URL[] {
  const out: URL[] = [];
  for (const e of Deno.readDirSync(dir)) {
    if (e.isDirectory) out.push(...modules(new URL(`${e.name}/`, dir)));
    else if (e.name.endsWith(".ts") && !e.name.endsWith("_test.ts")) {
      out.push(new URL(e.name, dir));
    }
  }
  return out;
}

/** src/'s import graph as Deno resolves it, type-only imports included. */
function importGraph(mods: URL[]): Map<string, string[]> {
  const dir = Deno.makeTempDirSync({ prefix: "fdrestore-imports-" });
  try {
    const root = `${dir}/all.ts`;
    Deno.writeTextFileSync(root, mods.map((u) => `import "${u.href}";\n`).join(""));
    const graph = new Map<string, string[]>();
    for (const m of infoModules(root).values()) {
      if (!m.specifier.startsWith(SRC.href)) continue;
      const deps = (m.dependencies ?? []).flatMap((d) => [d.code?.specifier, d.type?.specifier]);
      graph.set(m.specifier, [...new Set(deps)].filter((s) => s?.startsWith(SRC.href)) as string[]);
    }
    return graph;
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

/** Every cycle a depth-first walk closes, as "a.ts -> b.ts -> a.ts"; none when acyclic. */
function cycles(graph: Map<string, string[]>): string[] {
  const found: string[] = [];
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (m: string) => {
    state.set(m, "open");
    path.push(m);
    for (const d of graph.get(m) ?? []) {
      if (state.get(d) === "open") {
        found.push(
          [...path.slice(path.indexOf(d)), d].map((s) => s.slice(SRC.href.length))
            .join(" -> "),
        );
      } else if (!state.has(d)) visit(d);
    }
    path.pop();
    state.set(m, "done");
  };
  for (const m of graph.keys()) if (!state.has(m)) visit(m);
  return found;
}

Deno.test("no module of src/ imports itself through others, type imports included", () => {
  const mods = modules(SRC);
  const graph = importGraph(mods);
  assert.deepEqual(mods.filter((u) => !graph.has(u.href)), [], "modules deno info missed");
  assert.deepEqual(cycles(graph), []);
});
