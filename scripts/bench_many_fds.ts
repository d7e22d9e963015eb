/**
 * Part of `deno task bench`: the corpus's many-fds (3,003 fds) restored -d by
 * fdrestore and by real criu, alternating, each alone in a new pid namespace
 * (criu gets its pids back and no task outlives the run); the median of the
 * pair ratios, then where our time goes, next to the floors. Needs root and
 * criu (CRIU, default /opt/criu4/bin/criu); prints "skipped: ..." otherwise.
 */
import { join } from "node:path";
import { fdrestoreUnderTest } from "./bench/under_test.ts";
import { exists, fmt, median, peakRss, row, RUNS, timeCmd } from "./bench/measure.ts";

const REPO = new URL("../", import.meta.url).pathname;
const CRIU = Deno.env.get("CRIU") ?? "/opt/criu4/bin/criu";
const CORPUS = join(REPO, "..", "shared", "criu-corpus");
const PAIRS = 7;
const UNSHARE = ["--pid", "--fork", "--mount-proc"];

const UNDER_TEST = fdrestoreUnderTest();
const FDRESTORE = UNDER_TEST.bin;
try {
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
  } else {
    row("restore many-fds", `skipped: ${exists(many) ? "needs root" : `no corpus at ${many}`}`);
  }
} finally {
  UNDER_TEST.dispose();
}

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
 * Where a -d restore of `images` spends its time (medians of PAIRS runs), next
 * to the floors no restore goes under: Deno running an empty script, and the
 * bundle printing its version. The -v4 log's clock starts once the options
 * are read; what lies outside it is Deno's start, loading the bundle and exit.
 */
function phases(images: string, criuMs: number): void {
  const emptyDir = Deno.makeTempDirSync({ prefix: "fdrestore-bench-empty-" });
  const empty = join(emptyDir, "empty.js");
  Deno.writeTextFileSync(empty, "");
  const steps: Record<string, number[]> = {
    "read images": [],
    "open files": [],
    "start the task": [],
    "watch its first moments": [],
    "outside the log (Deno start, load, exit)": [],
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
    const log = Deno.readTextFileSync(logFile).split("\n");
    const at = (what: RegExp) => {
      const line = log.find((l) => what.test(l));
      return line ? Number(/^\(\s*([0-9.]+)\)/.exec(line)?.[1]) * 1000 : NaN;
    };
    const read = at(/images read/);
    const open = at(/is open/);
    const started = at(/restored as pid/);
    const finished = at(/restore finished/);
    steps["read images"].push(read);
    steps["open files"].push(open - read);
    steps["start the task"].push(started - open);
    steps["watch its first moments"].push(finished - started);
    steps["outside the log (Deno start, load, exit)"].push(total - finished);
    Deno.removeSync(logDir, { recursive: true });
  }
  Deno.removeSync(emptyDir, { recursive: true });
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
