/**
 * `show`'s table as a reader sees it, on real corpus images: every line of an
 * fd starts under the WHAT column the header names, long lists wrap there,
 * long paths overflow instead of leaving the column, colour only on a
 * terminal. Expected texts are built from `show --json`, not pasted output.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { FDRESTORE, runCli } from "./support/cli.ts";
import { haveCorpus, imagesOf, REPO_ROOT } from "./support/corpus.ts";

const ESC = "\x1b";

interface JsonFd {
  fd: number;
  kind: string;
  what: string;
  shares: string[];
  peer?: string[];
  inherit_key?: string;
}
interface JsonTask {
  pid: number;
  fds: JsonFd[];
}

/** Each fd row of the text with the lines that belong to it, per task. */
function tableOf(text: string): { col: number; rows: Map<string, string[]> } {
  const rows = new Map<string, string[]>();
  let col = -1;
  let pid = "";
  let current: string[] | undefined;
  for (const line of text.split("\n")) {
    const task = /^task (\d+) /.exec(line);
    if (task) [pid, current] = [task[1], undefined];
    if (/^ +FD MODE FLAGS +WHAT$/.test(line)) {
      col = line.indexOf("WHAT");
      continue;
    }
    const row = /^ +(\d+) /.exec(line);
    if (row && col > 0 && line.length > col && line[col - 1] === " " && /^ {1,6}\d/.test(line)) {
      current = [line];
      rows.set(`${pid}:${row[1]}`, current);
    } else if (line === "" || !line.startsWith(" ")) {
      current = undefined;
    } else {
      current?.push(line);
    }
  }
  return { col, rows };
}

async function showBoth(scenario: string) {
  const text = await runCli(["show", "-D", imagesOf(scenario)]);
  const json = await runCli(["show", "--json", "-D", imagesOf(scenario)]);
  assert.equal(text.code, 0, text.stderr);
  assert.equal(json.code, 0, json.stderr);
  return { ...tableOf(text.stdout), tasks: JSON.parse(json.stdout).tasks as JsonTask[] };
}

/** The lines of an fd after its row, as one text: what a reader reads under WHAT. */
function underWhat(lines: string[], col: number): string {
  for (const l of lines.slice(1)) {
    assert.equal(l.slice(0, col).trim(), "", `not under WHAT: ${l}`);
    assert.notEqual(l[col], " ", `indented past WHAT: ${l}`);
  }
  return lines.slice(1).map((l) => l.slice(col)).join(" ");
}

for (const scenario of ["tree-shared", "reg-files"]) {
  Deno.test(`show of ${scenario} keeps every fd's lines under the WHAT column`, async () => {
    if (!haveCorpus(`show layout ${scenario}`)) return;
    const { col, rows, tasks } = await showBoth(scenario);
    assert.ok(col > 0, "no table header");
    let fds = 0;
    for (const t of tasks) {
      for (const fd of t.fds) {
        const lines = rows.get(`${t.pid}:${fd.fd}`);
        assert.ok(lines, `no row for ${t.pid}:${fd.fd}`);
        assert.equal(lines[0].slice(col), fd.what, `row of ${t.pid}:${fd.fd}`);
        const under = underWhat(lines, col);
        if (fd.shares.length) {
          assert.ok(under.includes(`same description as ${fd.shares.join(", ")}`), under);
        }
        if (fd.inherit_key) assert.ok(under.includes(`key ${fd.inherit_key}`), under);
        for (const l of lines) {
          // only a word that cannot fit (a path, a key) may go past 80 columns
          if ([...l].length > 80) {
            assert.ok(l.endsWith(fd.what) || l.endsWith(`key ${fd.inherit_key}`), `too wide: ${l}`);
          }
        }
        fds++;
      }
    }
    assert.ok(fds > 10);
  });
}

Deno.test("show of tree-shared wraps a long list of sharers under WHAT, never at column 9", async () => {
  if (!haveCorpus("show layout sharers")) return;
  const { col, rows, tasks } = await showBoth("tree-shared");
  const fd1 = tasks[0].fds.find((f) => f.fd === 1) as JsonFd;
  assert.ok(fd1.shares.length >= 7, "the scenario shares stdout with every task");
  const lines = rows.get(`${tasks[0].pid}:1`) as string[];
  const list = lines.filter((l) =>
    l.slice(col).startsWith("same description") || /^ +\d+:\d+/.test(l)
  );
  assert.ok(list.length >= 2, `the list should need two lines: ${lines.join("\n")}`);
  for (const l of list) assert.equal(l.search(/\S/), col, l);
});

Deno.test("show of reg-files keeps a key with spaces whole on one line under WHAT", async () => {
  if (!haveCorpus("show layout key")) return;
  const { col, rows, tasks } = await showBoth("reg-files");
  const fd = tasks[0].fds.find((f) => f.inherit_key?.includes(" ")) as JsonFd;
  assert.ok(fd, "reg-files has a name with spaces");
  const lines = rows.get(`${tasks[0].pid}:${fd.fd}`) as string[];
  assert.ok(lines.includes(" ".repeat(col) + `key ${fd.inherit_key}`), lines.join("\n"));
});

Deno.test("show --fd and --kind list only the chosen fds, and count the needs of the rest", async () => {
  if (!haveCorpus("show filters")) return;
  const dir = imagesOf("inherit-pipe-stdio");
  const whole = JSON.parse((await runCli(["show", "--json", "-D", dir])).stdout);
  const r = await runCli(["show", "--json", "--fd", "1,3", "--kind", "pipe", "-D", dir]);
  assert.equal(r.code, 0, r.stderr);
  const part = JSON.parse(r.stdout);
  const want = whole.tasks[0].fds.filter((f: JsonFd) => [1, 3].includes(f.fd) && f.kind === "pipe");
  assert.deepEqual(part.tasks[0].fds, want);
  assert.equal(part.tasks[0].fds_total, whole.tasks[0].fds.length);
  assert.deepEqual(part.needs, whole.needs.filter((n: { fd: number }) => n.fd === 1));
  assert.equal(part.needs_not_shown, whole.needs.length - 1);
  const text = await runCli(["show", "--fd", "1", "-D", dir]);
  assert.match(text.stdout, new RegExp(`and ${whole.needs.length - 1} more for fds not shown`));
  assert.doesNotMatch(text.stdout, /needs nothing/);
});

Deno.test("show refuses a --kind that no fd can have, and a --fd that is not a number", async () => {
  for (const args of [["--kind", "pipes"], ["--fd", "1,x"]]) {
    const r = await runCli(["show", ...args, "-D", "/nonexistent"]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^fdrestore: error: invalid --(kind 'pipes'|fd 'x')/);
  }
});

Deno.test("show paints on a terminal, and not when NO_COLOR is set or stdout is a pipe", async () => {
  if (!haveCorpus("show colour")) return;
  const dir = imagesOf("pipes");
  const onTerminal = async (env: string[]) => {
    const out = await new Deno.Command("/usr/bin/python3", {
      args: [
        join(REPO_ROOT, "tests", "support", "pty_run.py"),
        "[]",
        "--",
        "/usr/bin/env",
        ...env,
        FDRESTORE,
        "show",
        "-D",
        dir,
      ],
      stdout: "piped",
    }).output();
    const got = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.equal(got.exit, 0, got.output);
    return got.output as string;
  };
  const painted = await onTerminal(["-u", "NO_COLOR", "TERM=xterm"]);
  assert.ok(painted.includes(`${ESC}[1mtask `), painted);
  // colour never moves a column: without the codes the table is the piped one
  const piped = await runCli(["show", "-D", dir], { env: { NO_COLOR: "" } });
  assert.ok(!piped.stdout.includes(ESC));
  // deno-lint-ignore no-control-regex
  assert.equal(painted.replace(/\x1b\[[0-9;]*m/g, "").replaceAll("\r\n", "\n"), piped.stdout);
  assert.ok(!(await onTerminal(["NO_COLOR=1", "TERM=xterm"])).includes(ESC));
});
