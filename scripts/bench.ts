/**
 * `deno task bench`: decode, show and restore speed on synthetic checkpoints
 * made from the sample (3,000 to 100,000 fds), against crit and criu when
 * they are installed (CRIT / CRIU, default /opt/criu4/bin/...). Prints a
 * table; nothing here is asserted (targets are in the README).
 */
import { join } from "node:path";
import { makeCheckpoint } from "./bench/synthetic.ts";
import { readEntries } from "../src/image/mod.ts";
import { fdrestoreUnderTest } from "./bench/under_test.ts";
import { exists, fmt, peakRss, row, RUNS, timeCmd } from "./bench/measure.ts";

const REPO = new URL("../", import.meta.url).pathname;
const UNDER_TEST = fdrestoreUnderTest();
const FDRESTORE = UNDER_TEST.bin;
const CRIT = Deno.env.get("CRIT") ?? "/opt/criu4/bin/crit";

function synthetic(n: number): string {
  const dir = Deno.makeTempDirSync({ prefix: `fdrestore-bench-${n}-` });
  makeCheckpoint(dir, n);
  return dir;
}

const dirs: string[] = [];
console.log(`fdrestore: ${UNDER_TEST.label}`);
try {
  // Decode: a 100,000-entry files.img.
  const big = synthetic(100_000);
  dirs.push(big);
  const files = join(big, "files.img");
  let inproc = Infinity;
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    readEntries(big, "files");
    inproc = Math.min(inproc, performance.now() - t);
  }
  row("decode files.img 100,000 entries, in process", `${fmt(inproc)} ms`);
  const ours = timeCmd(FDRESTORE, ["decode", "-i", files]);
  const oursPretty = timeCmd(FDRESTORE, ["decode", "--pretty", "-i", files]);
  row("fdrestore decode (JSON, end to end)", `${fmt(ours)} ms`, `--pretty ${fmt(oursPretty)} ms`);
  if (exists(CRIT)) {
    const crit = timeCmd(CRIT, ["decode", "-i", files], 1);
    const critPretty = timeCmd(CRIT, ["decode", "--pretty", "-i", files], 1);
    row(
      "crit decode (same file)",
      `${fmt(crit)} ms`,
      `--pretty ${fmt(critPretty)} ms`,
      `ratio end to end ${(crit / ours).toFixed(1)}x / ${(critPretty / oursPretty).toFixed(1)}x`,
      `vs in-process decode ${(crit / inproc).toFixed(0)}x`,
    );
  } else {
    row("crit decode", `skipped: no crit at ${CRIT}`);
  }

  // show, end to end, growing with the fd count.
  for (const n of [3_000, 10_000, 30_000, 100_000]) {
    const dir = n === 100_000 ? big : synthetic(n);
    if (dir !== big) dirs.push(dir);
    const ms = timeCmd(FDRESTORE, ["show", "-D", dir]);
    const rss = peakRss(FDRESTORE, ["show", "-D", dir]);
    row(
      `show ${n.toLocaleString("en")} fds`,
      `${fmt(ms)} ms`,
      `${(ms * 1000 / n).toFixed(1)} µs/fd`,
      rss === undefined ? "" : `peak RSS ${rss} MB`,
    );
  }

  // The same 100,000 fds as a container checkpoint archive (Podman's layout), read in place.
  // checkpointctl, the tool for these, is not compared: no Debian package here, and it is Go.
  const packs = Deno.makeTempDirSync({ prefix: "fdrestore-bench-archive-" });
  dirs.push(packs);
  for (const [ext, flag] of [["tar", []], ["tar.gz", ["-z"]], ["tar.zst", ["--zstd"]]] as const) {
    const archive = join(packs, `big.${ext}`);
    const args = ["-C", big, "--transform", "s,^\\.,checkpoint,", ...flag, "-cf", archive, "."];
    if (!new Deno.Command("tar", { args, stderr: "null" }).outputSync().success) {
      row(`show 100,000 fds from a ${ext}`, "skipped: tar could not make it");
      continue;
    }
    const ms = timeCmd(FDRESTORE, ["show", "-D", archive]);
    const rss = peakRss(FDRESTORE, ["show", "-D", archive]);
    row(
      `show 100,000 fds from a ${ext} (${(Deno.statSync(archive).size / 1e6).toFixed(1)} MB)`,
      `${fmt(ms)} ms`,
      rss === undefined ? "" : `peak RSS ${rss} MB`,
    );
  }

  // restore + program start (/bin/true) of synthetic tables; the fd limit bounds the size.
  const small = synthetic(4);
  dirs.push(small);
  const base = timeCmd(FDRESTORE, ["restore", "-D", small, "--", "/bin/true"]);
  row("restore 4 fds + start (start-up baseline)", `${fmt(base)} ms`);
  const limit = Number(
    /^Max open files\s+\d+\s+(\d+)/m.exec(Deno.readTextFileSync("/proc/self/limits"))?.[1],
  );
  // A table needs about its own fds plus the runtime's (files stay where they were opened).
  for (const n of [3_000, 9_000, 19_000, 100_000]) {
    if (n + 200 > limit) {
      row(`check / restore ${n.toLocaleString("en")} fds`, `skipped: hard RLIMIT_NOFILE ${limit}`);
      continue;
    }
    const dir = synthetic(n);
    dirs.push(dir);
    const check = timeCmd(FDRESTORE, ["check", "-D", dir]);
    const checkRss = peakRss(FDRESTORE, ["check", "-D", dir]);
    const ms = timeCmd(FDRESTORE, ["restore", "-D", dir, "--", "/bin/true"]);
    const rss = peakRss(FDRESTORE, ["restore", "-D", dir, "--", "/bin/true"]);
    row(
      `restore ${n.toLocaleString("en")} fds + start`,
      `${fmt(ms)} ms`,
      `${((ms - base) * 1000 / n).toFixed(1)} µs/fd above start-up`,
      rss === undefined ? "" : `peak RSS ${rss} MB`,
      `check ${fmt(check)} ms` + (checkRss === undefined ? "" : `, ${checkRss} MB`),
    );
  }

  // The floor of those µs per fd: the same syscalls from C, with no runtime and no model.
  syscallFloor(limit);

  // What a 100,000-fd restore holds (model, staged numbers, plan, spawn table), in a fresh process.
  {
    const args = [
      "run",
      "-A",
      "--v8-flags=--max-semi-space-size=2",
      join(REPO, "scripts", "bench", "model_memory.ts"),
      big,
    ];
    const out = new Deno.Command(Deno.execPath(), { args, stdout: "piped" }).outputSync();
    const m = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      heapUsedMB: number;
      rssMB: number;
    };
    const peak = peakRss(Deno.execPath(), args);
    row(
      "model + plan of 100,000 fds (no fds opened)",
      `heapUsed ${m.heapUsedMB} MB`,
      `RSS ${m.rssMB} MB`,
      peak === undefined ? "" : `peak RSS ${peak} MB`,
    );
  }
} finally {
  for (const d of dirs) Deno.removeSync(d, { recursive: true });
  UNDER_TEST.dispose();
}

/** Builds scripts/bench/NAME.c with gcc into `dir`; undefined when it cannot. */
function buildC(name: string, dir: string): string | undefined {
  const exe = join(dir, name);
  const src = join(REPO, "scripts", "bench", `${name}.c`);
  try {
    const cc = new Deno.Command("gcc", { args: ["-O2", "-o", exe, src], stderr: "null" });
    return cc.outputSync().success ? exe : undefined;
  } catch {
    return undefined; // no gcc
  }
}

/** stdout of a command, trimmed. */
function output(cmd: string, args: string[]): string {
  const out = new Deno.Command(cmd, { args, stdout: "piped" }).outputSync();
  return new TextDecoder().decode(out.stdout).trim();
}

/**
 * The C floors of the restore rows: the same syscalls per fd
 * (scripts/bench/syscall_floor.c), and what the safe open of a regular file
 * costs against a plain one (scripts/bench/open_probe.c).
 */
function syscallFloor(limit: number): void {
  const dir = Deno.makeTempDirSync({ prefix: "fdrestore-bench-floor-" });
  try {
    const floor = buildC("syscall_floor", dir);
    const probe = buildC("open_probe", dir);
    if (!floor || !probe) return row("the same syscalls from C", "skipped: gcc could not build it");
    const cells = [3_000, 9_000, 19_000].filter((n) => n + 200 <= limit)
      .map((n) => `${n.toLocaleString("en")}: ${output(floor, [String(n)])} µs/fd`);
    row("the same syscalls from C (scripts/bench/syscall_floor.c)", ...cells);
    const [plain, probed] = output(probe, ["/etc/hostname", "3000"]).split(" ");
    row(
      "open a regular file from C: plain open / O_PATH probe + fstat + /proc reopen",
      `${plain} µs / ${probed} µs per file`,
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}
