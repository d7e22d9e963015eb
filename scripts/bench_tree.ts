/**
 * Part of `deno task bench`: a real 50-task tree with 100 fds per task
 * (scripts/bench/tree50.c, dumped by real criu), restored by fdrestore and by
 * criu from the same images: wall time and peak RSS. Needs root, gcc and
 * criu (CRIU, default /opt/criu4/bin/criu); measures the bundle unless FDRESTORE_BIN
 * names another build (scripts/bench/under_test.ts); prints "skipped: ..." otherwise.
 */
import { join } from "node:path";
import { prctl, waitpid } from "../src/sys/mod.ts";
import { fdrestoreUnderTest } from "./bench/under_test.ts";

const REPO = new URL("../", import.meta.url).pathname;
const CRIU = Deno.env.get("CRIU") ?? "/opt/criu4/bin/criu";
/** Runs per side; the medians are compared (this VM is shared: single runs vary by 2x). */
const RUNS = Number(Deno.env.get("RUNS") ?? 5);

function skip(why: string): never {
  console.log(`tree of 50 tasks x 100 fds  |  skipped: ${why}`);
  Deno.exit(0);
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Wall ms and peak RSS (MB, GNU time) of one command. */
function measure(
  cmd: string,
  args: string[],
): { ms: number; rss: number; ok: boolean; err: string } {
  const t = performance.now();
  const out = new Deno.Command("/usr/bin/time", {
    args: ["-f", "%M", cmd, ...args],
    // criu 4.1.1 on this VM's kernel needs it to return from a -d restore (harmless to ours).
    env: { CRIU_FAULT: "130" },
    stdout: "null",
    stderr: "piped",
  })
    .outputSync();
  const ms = performance.now() - t;
  const err = new TextDecoder().decode(out.stderr).trim();
  const kb = Number(err.split("\n").pop());
  return { ms, rss: Math.round(kb / 1024), ok: out.success, err };
}

/**
 * Kills a tree (its pids) and waits until they are gone, so criu can have the
 * pids again. This process is a child subreaper: orphaned tasks come to it and
 * are reaped here (otherwise their zombies keep the pids).
 */
function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
  for (const pid of pids) {
    try {
      waitpid(pid);
    } catch {
      // not our child: someone else reaps it
    }
  }
  const until = performance.now() + 5000;
  while (performance.now() < until && pids.some((p) => exists(`/proc/${p}`) && !zombie(p))) {
    // spin briefly: reaping is init's job
  }
}

/** The run with the median time (the lower middle one of an even count). */
function median<T extends { ms: number }>(runs: T[]): T | undefined {
  const sorted = [...runs].sort((a, b) => a.ms - b.ms);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

function zombie(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
}

if (Deno.uid() !== 0) skip("needs root (criu dump)");
if (!exists(CRIU)) skip(`no criu at ${CRIU}`);
if (!exists("/usr/bin/time")) skip("no GNU time");
prctl(36, 1n); // PR_SET_CHILD_SUBREAPER
const images = Deno.makeTempDirSync({ prefix: "fdrestore-bench-tree50-" });
const underTest = fdrestoreUnderTest();
const FDRESTORE = underTest.bin;
try {
  const made = new Deno.Command(join(REPO, "scripts", "bench", "make_tree50.sh"), {
    args: [images, CRIU],
    stdout: "null",
    stderr: "piped",
  }).outputSync();
  if (!made.success) {
    skip(`dump failed: ${new TextDecoder().decode(made.stderr).trim().split("\n")[0]}`);
  }
  const pids = [...Deno.readDirSync(images)].map((e) => /^core-(\d+)\.img$/.exec(e.name)?.[1])
    .filter((p): p is string => p !== undefined).map(Number);
  killAll(pids); // the dumped tree is gone already; make sure its pids are free

  // Alternating, so that a change in the load of this shared VM hits both sides alike.
  const criuRuns: { ms: number; rss: number }[] = [];
  const oursRuns: { ms: number; rss: number }[] = [];
  for (let i = 0; i < RUNS; i++) {
    const copy = Deno.makeTempDirSync({ prefix: "fdrestore-bench-tree50-criu-" });
    for (const e of Deno.readDirSync(images)) {
      Deno.copyFileSync(join(images, e.name), join(copy, e.name));
    }
    const c = measure(CRIU, [
      "restore",
      "-D",
      copy,
      "-d",
      "--pidfile",
      join(copy, "pid"),
      "-o",
      "restore.log",
      "-v0",
    ]);
    if (c.ok) criuRuns.push(c);
    killAll(pids);
    Deno.removeSync(copy, { recursive: true });

    const marker = `1000.${i}${crypto.getRandomValues(new Uint32Array(1))[0]}`;
    const map = join(images, "..", `tree50-pids-${marker}.json`);
    const o = measure(FDRESTORE, [
      "restore",
      "-D",
      images,
      "-d",
      "--pid-map",
      map,
      "--",
      "/bin/sleep",
      marker,
    ]);
    if (!o.ok) throw new Error(`fdrestore failed: ${o.err}`);
    oursRuns.push(o);
    killAll(Object.values(JSON.parse(Deno.readTextFileSync(map)) as Record<string, number>));
    Deno.removeSync(map);
  }
  const criuMid = median(criuRuns);
  const oursMid = median(oursRuns)!;
  const crit = criuMid === undefined
    ? "criu failed"
    : `criu ${criuMid.ms.toFixed(0)} ms, ${criuMid.rss} MB`;
  console.log(
    `tree of 50 tasks x 100 fds  |  fdrestore ${
      oursMid.ms.toFixed(0)
    } ms, peak RSS ${oursMid.rss} MB  |  ${crit}` +
      (criuMid === undefined ? "" : `  |  ratio ${(oursMid.ms / criuMid.ms).toFixed(1)}x`),
  );
} finally {
  Deno.removeSync(images, { recursive: true });
  underTest.dispose();
}
