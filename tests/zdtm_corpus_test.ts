/**
 * CRIU's own zdtm tests (../shared/zdtm-corpus): `fdrestore restore` on every
 * scenario, checked by corpus-check against the fd tables real `criu restore`
 * rebuilt. Scenarios known to fail are skipped, each with its reason; fields a
 * scenario ignores each cite the README sentence that justifies them
 * (tests/support/zdtm.ts). `deno task zdtm` runs the whole corpus.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { REPO_ROOT } from "./support/corpus.ts";
import { checkZdtm, IGNORES, KNOWN_FAILING, ZDTM_CORPUS, zdtmScenarios } from "./support/zdtm.ts";

function haveZdtm(what: string): boolean {
  try {
    if (Deno.statSync(join(ZDTM_CORPUS, "README.md")).isFile) return true;
  } catch {
    // fall through
  }
  console.log(`skipped: ${what}: no zdtm corpus at ${ZDTM_CORPUS}`);
  return false;
}

/** README text with its line breaks undone, as a sentence is cited. */
function readme(): string {
  return Deno.readTextFileSync(join(REPO_ROOT, "README.md")).replace(/\s+/g, " ");
}

Deno.test("every known-failing zdtm scenario exists and has a one-line reason", async () => {
  if (!haveZdtm("zdtm known-failing list")) return;
  const all = await zdtmScenarios();
  assert.equal(all.length, 124);
  for (const [name, reason] of Object.entries(KNOWN_FAILING)) {
    assert.ok(all.includes(name), `${name} is not a scenario of the corpus`);
    assert.match(reason, /^[^\n]{10,100}$/, `${name}: one line of reason`);
    assert.ok(!(name in IGNORES), `${name} is known to fail and also has ignores`);
  }
});

Deno.test("every ignore of a zdtm scenario cites a sentence of the README", async () => {
  if (!haveZdtm("zdtm ignores")) return;
  const all = await zdtmScenarios();
  const text = readme();
  for (const [name, { fields, readme }] of Object.entries(IGNORES)) {
    assert.ok(all.includes(name), `${name} is not a scenario of the corpus`);
    assert.ok(fields.length > 0, `${name}: no field`);
    assert.ok(text.includes(readme), `${name}: the README does not say "${readme}"`);
  }
});

Deno.test("every zdtm scenario not known to fail restores as criu restored it", async (t) => {
  if (!haveZdtm("zdtm corpus restore")) return;
  if (Deno.uid() !== 0) {
    console.log("skipped: zdtm corpus restore: corpus-check needs root");
    return;
  }
  const names = (await zdtmScenarios()).filter((n) => !(n in KNOWN_FAILING));
  console.log(`skipped (known to fail): ${Object.keys(KNOWN_FAILING).join(" ")}`);
  const results = await checkZdtm(names);
  for (const name of names) {
    await t.step(name, () => {
      const r = results.get(name);
      assert.ok(r, `${name}: corpus-check reported nothing`);
      assert.ok(r.passed, r.report);
    });
  }
});
