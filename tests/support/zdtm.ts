/**
 * The zdtm corpus (`../shared/zdtm-corpus`: CRIU's own zdtm tests, dumped and
 * restored by real criu 4.1.1) and how fdrestore is checked against it with
 * corpus-check: the scenarios known to fail (each with its reason), the fields
 * a scenario ignores (each with the README sentence that justifies it), and
 * one corpus-check run per set of ignored fields. Used by
 * tests/zdtm_corpus_test.ts and scripts/zdtm.ts (`deno task zdtm`).
 */
import { join } from "node:path";
import { REPO_ROOT } from "./corpus.ts";
import { CORPUS_RESTORER } from "./cli.ts";

export const ZDTM_CORPUS: string = Deno.env.get("FDRESTORE_ZDTM_CORPUS") ??
  join(REPO_ROOT, "..", "shared", "zdtm-corpus");

const CHECKER = join(ZDTM_CORPUS, "..", "tools", "corpus-check");

/**
 * Scenarios that fail today, skipped by the test (not asserted), so that a
 * fix elsewhere never breaks it; `deno task zdtm` reports any that pass.
 */
export const KNOWN_FAILING: Record<string, string> = {};

/** Fields a scenario does not compare, and the README sentence that says why. */
export interface ZdtmIgnore {
  fields: string[];
  readme: string;
}

const CLONE_FILES = "A child that shared its parent's fd table (`clone(CLONE_FILES)`) gets its " +
  "own table with the same fds and the same open file descriptions";

export const IGNORES: Record<string, ZdtmIgnore> = {
  "zdtm-fd01": { fields: ["task.fd_table"], readme: CLONE_FILES },
  "zdtm-fdt_shared": { fields: ["task.fd_table"], readme: CLONE_FILES },
  "zdtm-pipe01": {
    fields: ["fd.status_flags", "fd.flags_octal"],
    readme: "a pipe end keeps its own O_LARGEFILE flag (criu adds it to some ends and drops it " +
      "from others; zdtm `pipe01`)",
  },
  "zdtm-pty02": {
    fields: ["task.ctty", "task.tpgid"],
    readme: "a child whose controlling terminal was a pty keeps it (criu restores that child " +
      "without one; `pty02`)",
  },
  "zdtm-socket_close_data01": {
    fields: ["socket.state"],
    readme: "a bound datagram socket that was connected when its peer closed stays ESTABLISHED " +
      "(criu restores it as CLOSE; `socket_close_data01`)",
  },
};

/** The scenarios of the corpus (corpus-check --list). */
export async function zdtmScenarios(): Promise<string[]> {
  const out = await new Deno.Command(CHECKER, {
    args: ["--corpus", ZDTM_CORPUS, "--list"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (out.code !== 0) throw new Error(`corpus-check --list failed: ${text}`);
  return text.split("\n").filter((l) => l.trim() !== "").map((l) => l.split(/\s+/)[0]);
}

export interface ZdtmResult {
  passed: boolean;
  /** corpus-check's report of the scenario: its PASS/FAIL line and the details under it. */
  report: string;
}

/**
 * Checks `scenarios` with corpus-check, one run per set of ignored fields;
 * `echo` gets each run's report as it is written.
 */
export async function checkZdtm(
  scenarios: readonly string[],
  echo?: (text: string) => void,
): Promise<Map<string, ZdtmResult>> {
  const batches = new Map<string, string[]>();
  for (const name of scenarios) {
    const key = (IGNORES[name]?.fields ?? []).join(",");
    batches.set(key, [...batches.get(key) ?? [], name]);
  }
  const results = new Map<string, ZdtmResult>();
  for (const [ignore, names] of batches) {
    for (const [name, r] of await runBatch(names, ignore, echo)) results.set(name, r);
  }
  return results;
}

async function runBatch(
  names: string[],
  ignore: string,
  echo?: (text: string) => void,
): Promise<Map<string, ZdtmResult>> {
  const args = ["--corpus", ZDTM_CORPUS, "--json", "--scenario", names.join(",")];
  if (ignore !== "") args.push("--ignore", ignore);
  args.push("--", ...CORPUS_RESTORER);
  const child = new Deno.Command(CHECKER, { args, stdout: "piped", stderr: "piped" }).spawn();
  const [stdout, report] = await Promise.all([
    new Response(child.stdout).text(),
    collect(child.stderr, echo),
  ]);
  await child.status;
  const doc = JSON.parse(stdout) as { scenarios: { name: string; result: string }[] };
  const blocks = reportBlocks(report);
  return new Map(doc.scenarios.map((s) => [
    s.name,
    { passed: s.result === "pass", report: blocks.get(s.name) ?? s.result },
  ]));
}

async function collect(stream: ReadableStream<Uint8Array>, echo?: (t: string) => void) {
  let all = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    all += chunk;
    echo?.(chunk);
  }
  return all;
}

/** Each scenario's "PASS name ..." or "FAIL name ..." line with the indented lines under it. */
function reportBlocks(report: string): Map<string, string> {
  const blocks = new Map<string, string>();
  let current: string[] | undefined;
  for (const line of report.split("\n")) {
    const head = /^(?:PASS|FAIL) (\S+)/.exec(line);
    if (head) blocks.set(head[1], (current = [line]).join("\n"));
    else if (current && line.startsWith(" ")) current.push(line);
    else current = undefined;
    if (current) blocks.set(/^(?:PASS|FAIL) (\S+)/.exec(current[0])![1], current.join("\n"));
  }
  return blocks;
}
