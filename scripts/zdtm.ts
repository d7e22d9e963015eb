/**
 * `deno task zdtm`: restores every scenario of the zdtm corpus
 * (../shared/zdtm-corpus) with corpus-check, printing its report as it goes,
 * then a summary: passed and failed counts, failures not on the known list,
 * and known failures that now pass. Exit status 1 when a scenario not known
 * to fail fails. Needs root, like corpus-check.
 */
import { checkZdtm, KNOWN_FAILING, zdtmScenarios } from "../tests/support/zdtm.ts";

const names = await zdtmScenarios();
const out = new TextEncoder();
const results = await checkZdtm(names, (t) => void Deno.stderr.writeSync(out.encode(t)));
const passed = names.filter((n) => results.get(n)?.passed);
const failed = names.filter((n) => !results.get(n)?.passed);
const unexpected = failed.filter((n) => !(n in KNOWN_FAILING));
const fixed = passed.filter((n) => n in KNOWN_FAILING);
console.log(`\nzdtm: ${passed.length} of ${names.length} passed`);
for (const n of failed) {
  console.log(`  FAIL ${n}: ${KNOWN_FAILING[n] ?? "NOT KNOWN TO FAIL"}`);
}
if (fixed.length > 0) console.log(`known to fail but passed: ${fixed.join(" ")}`);
console.log(`${passed.length} passed, ${failed.length} failed`);
Deno.exit(unexpected.length > 0 ? 1 : 0);
