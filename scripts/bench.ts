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

const REPO = new URL("../", import.meta.url).pathname;
const UNDER_TEST = fdrestoreUnderTest();
const FDRESTORE = UNDER_TEST.bin;
const CRIT = Deno.env.get("CRIT") ?? "/opt/criu4/bin/crit";
const CRIU = Deno.env.get("CRIU") ?? "/opt/criu4/bin/criu";
const CORPUS = join(REPO, "..", "shared", "criu-corpus");
const RUNS = 3;
const PAIRS = 7;

const exists = (p: string) => {
  try {
    Deno.statSync(p);
    return true;
  } catch {
    return false;
  }
};

/** Best wall time of RUNS runs of a command, in ms; stdout discarded. */
function timeCmd(cmd: string, args: string[], runs = RUNS): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const out = new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).outputSync();
    const ms = performance.now() - t;
    if (!out.success) {
      throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
    }
    best = Math.min(best, ms);
  }
  return best;
}

/** Peak RSS in MB of one run (GNU time). */
function peakRss(cmd: string, args: string[]): number | undefined {
  if (!exists("/usr/bin/time")) return undefined;
  const out = new Deno.Command("/usr/bin/time", {
    args: ["-f", "%M", cmd, ...args],
    stdout: "null",
    stderr: "piped",
  })
    .outputSync();
  const kb = Number(new TextDecoder().decode(out.stderr).trim().split("\n").pop());
  return kb > 0 ? Math.round(kb / 1024) : undefined;
}

const fmt = (ms: number) => ms < 10 ? ms.toFixed(2) : ms.toFixed(0);
const rows: string[][] = [];
const row = (...cells: string[]) => {
  rows.push(cells);
  console.log(cells.join("  |  "));
};

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

  // many-fds of the corpus: ours against real criu (root, criu installed).
  const many = join(CORPUS, "many-fds");
  if (exists(many) && Deno.uid() === 0) {
    const prepare = () =>
      new Deno.Command(join(CORPUS, "prepare"), { args: ["many-fds"], stdout: "null" })
        .outputSync();
    prepare();
    const ms = timeCmd(FDRESTORE, ["restore", "-D", join(many, "images"), "--", "/bin/true"]);
    row("restore corpus many-fds (3,003 fds) + start, foreground", `${fmt(ms)} ms`);
    if (exists(CRIU)) {
      // Alternating pairs, both detached (-d) in a new pid namespace each, as the
      // issue measured them: criu gets its pids back, and the tasks end with it.
      const ours: number[] = [];
      const criu: number[] = [];
      const ratios: number[] = [];
      for (let i = 0; i < PAIRS; i++) {
        const a = timeOursDetached(join(many, "images"));
        const b = timeCriu(many, 1);
        if (!Number.isFinite(b)) continue;
        ours.push(a);
        criu.push(b);
        ratios.push(a / b);
      }
      const rss = peakRss(FDRESTORE, ["restore", "-D", join(many, "images"), "--", "/bin/true"]);
      row(
        "restore -d many-fds: fdrestore vs criu, median of A/B pairs",
        `${fmt(median(ours))} ms vs ${fmt(median(criu))} ms`,
        `ratio ${median(ratios).toFixed(2)}x`,
        rss === undefined ? "" : `peak RSS ${rss} MB`,
      );
      phases(join(many, "images"), median(criu));
    } else {
      row("criu restore many-fds", `skipped: no criu at ${CRIU}`);
    }
    prepare();
  }
} finally {
  for (const d of dirs) Deno.removeSync(d, { recursive: true });
  UNDER_TEST.dispose();
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[s.length >> 1];
}

const UNSHARE = ["--pid", "--fork", "--mount-proc"];

/** fdrestore restore -d of a sleep, alone in a new pid namespace (the task ends with it). */
function timeOursDetached(images: string): number {
  const args = [...UNSHARE, FDRESTORE, "restore", "-D", images, "-d", "--", "/bin/sleep", "1000"];
  return timeCmd("unshare", args, 1);
}

/** criu restore -d of a copy of the images, alone in a new pid namespace. */
function timeCriu(scenario: string, runs = RUNS): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const copy = Deno.makeTempDirSync({ prefix: "fdrestore-bench-criu-" });
    for (const e of Deno.readDirSync(join(scenario, "images"))) {
      Deno.copyFileSync(join(scenario, "images", e.name), join(copy, e.name));
    }
    const t = performance.now();
    const out = new Deno.Command("unshare", {
      args: [...UNSHARE, CRIU, "restore", "-D", copy, "-d", "-o", "restore.log"],
      // Without it criu 4.1.1 on this VM's kernel never returns from a -d restore either.
      env: { CRIU_FAULT: "130" },
      stdout: "null",
      stderr: "null",
    }).outputSync();
    const ms = performance.now() - t;
    if (out.success) best = Math.min(best, ms);
    Deno.removeSync(copy, { recursive: true });
  }
  return best;
}

/**
 * Where a -d restore of `images` spends its time (medians of PAIRS runs, from
 * the timestamps of its -v4 log), next to the floors no restore goes under:
 * Deno running an empty script, and the bundle printing its version.
 */
function phases(images: string, criuMs: number): void {
  const empty = join(Deno.makeTempDirSync({ prefix: "fdrestore-bench-empty-" }), "empty.js");
  Deno.writeTextFileSync(empty, "");
  const steps: Record<string, number[]> = {
    "start and read images": [],
    "open files": [],
    "start the task": [],
    "first moments and exit": [],
  };
  const deno: number[] = [];
  const version: number[] = [];
  for (let i = 0; i < PAIRS; i++) {
    deno.push(timeCmd(Deno.execPath(), ["run", "--quiet", "--no-config", empty], 1));
    version.push(timeCmd(FDRESTORE, ["--version"], 1));
    const logDir = Deno.makeTempDirSync({ prefix: "fdrestore-bench-log-" });
    const logFile = join(logDir, "log");
    const args = [...UNSHARE, FDRESTORE, "restore", "-D", images, "-d", "-v4", "-o", logFile];
    const total = timeCmd("unshare", [...args, "--", "/bin/sleep", "1000"], 1);
    const at = (what: RegExp) => {
      const line = Deno.readTextFileSync(logFile).split("\n").find((l) => what.test(l));
      return line ? Number(/^\(\s*([0-9.]+)\)/.exec(line)?.[1]) * 1000 : NaN;
    };
    const read = at(/images read/);
    const open = at(/is open/);
    const started = at(/restored as pid/);
    steps["start and read images"].push(read);
    steps["open files"].push(open - read);
    steps["start the task"].push(started - open);
    steps["first moments and exit"].push(total - started);
    Deno.removeSync(logDir, { recursive: true });
  }
  Deno.removeSync(join(empty, ".."), { recursive: true });
  const share = (ms: number) => `${fmt(ms)} ms (${(ms / criuMs).toFixed(2)}x criu)`;
  row(
    "  floors: Deno runs an empty script / the bundle prints --version",
    share(median(deno)),
    share(median(version)),
  );
  row(
    "  -d many-fds by phase (-v4 log)",
    ...Object.entries(steps).map(([what, ms]) => `${what} ${fmt(median(ms))} ms`),
  );
}
