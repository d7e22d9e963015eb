/**
 * The real thing: `fdrestore restore` on each corpus scenario, checked by
 * ../shared/tools/corpus-check against the fd tables real `criu restore`
 * rebuilt (truth.json). Deliberate deviations are passed as --ignore with
 * the reason beside them (and listed in the README).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { CORPUS, haveCorpus } from "./support/corpus.ts";
import { CORPUS_RESTORER } from "./support/cli.ts";

const CHECKER = join(CORPUS, "..", "tools", "corpus-check");

/** Scenarios restored by this suite, with the fields we deliberately differ on. */
const SCENARIOS: Record<string, string[]> = {
  "reg-files": [],
  "inherit-reg-log": [],
  pipes: [],
  "inherit-pipe-stdio": [],
  "many-fds": [],
  "unix-sockets": [],
  "inet-sockets": [],
  "misc-fds": [],
  "ghost-file": [],
  "tree-shared": [],
  "tty-shell-job": [],
  "pty-pair": [],
  // A fresh program is started, not the dumped memory: a memfd the task had
  // mapped cannot be mapped again, so its "mappings" count is 0, not 1.
  memfd: ["fd.mappings"],
};

function canRun(): boolean {
  if (!haveCorpus("corpus restore")) return false;
  if (Deno.uid() !== 0) {
    console.log("skipped: corpus restore: corpus-check needs root");
    return false;
  }
  return true;
}

async function check(scenario: string, ignore: string[]): Promise<string> {
  const args = ["--scenario", scenario];
  for (const field of ignore) args.push("--ignore", field);
  args.push("--", ...CORPUS_RESTORER);
  const out = await new Deno.Command(CHECKER, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, text);
  return text;
}

for (const [scenario, ignore] of Object.entries(SCENARIOS)) {
  Deno.test(`restore of ${scenario} equals what criu restored`, async () => {
    if (!canRun()) return;
    const text = await check(scenario, ignore);
    assert.match(text, new RegExp(`^PASS ${scenario} `, "m"));
    assert.match(text, /^1 passed, 0 failed$/m);
  });
}
