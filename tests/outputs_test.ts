/**
 * The outputs of a root fdrestore — pid file, pid map, log file, decode -o,
 * stdout — written as the attacks and operator mistakes they must survive:
 * never followed, never replacing what is not a regular file of ours,
 * checked before anything starts, one line and a documented code on failure.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type CliResult, FDRESTORE, runCli } from "./support/cli.ts";
import { CORPUS, haveCorpus, imagesOf, REPO_ROOT } from "./support/corpus.ts";
import { prepareCorpus } from "./support/fault_sweep.ts";
import { haveRoot } from "./support/root.ts";
import { processesWith } from "./support/tree_fixture.ts";

const SAMPLE = join(REPO_ROOT, "samples", "sleeper", "images");
const OUTPUT = 6;
/** restore's own failures, whatever their kind (it returns its program's status otherwise). */
const RESTORE_FAILED = 125;

function prepareSample(): void {
  assert.ok(new Deno.Command(join(REPO_ROOT, "scripts", "prepare_sample.sh")).outputSync().success);
}

function program(): string[] {
  return ["/bin/sleep", `1000.${crypto.getRandomValues(new Uint32Array(1))[0]}`];
}

/** Exactly one line on stderr and the exit code; never a stack trace. */
function oneLine(r: CliResult, code: number, line: string): void {
  assert.equal(r.stderr, `fdrestore: error: ${line}\n`);
  assert.equal(r.code, code, r.stderr);
}

function names(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

async function inTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = Deno.makeTempDirSync({ prefix: "fdrestore-outputs-" });
  try {
    await fn(dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

/**
 * Device nodes like /dev/full and /dev/null, made in `dir` (root only): a
 * regression then replaces these, never the host's own (it happened once).
 */
function devices(dir: string): { full: string; null: string } | undefined {
  if (Deno.uid() !== 0) return void console.log("skipped: device targets: needs root (mknod)");
  const made = (name: string, minor: number) => {
    const path = join(dir, name);
    const out = new Deno.Command("mknod", { args: ["-m", "666", path, "c", "1", String(minor)] })
      .outputSync();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    return path;
  };
  return { full: made("full", 7), null: made("null", 3) };
}

Deno.test("--pid-map on /dev/full and --pidfile on /dev/null are refused before anything starts", async () => {
  prepareSample();
  await inTempDir(async (dir) => {
    const dev = devices(dir);
    if (!dev) return;
    for (const [option, device] of [["--pid-map", dev.full], ["--pidfile", dev.null]]) {
      const before = Deno.statSync(device);
      const prog = program();
      try {
        const r = await runCli(["restore", "-D", SAMPLE, "-d", option, device, "--", ...prog]);
        oneLine(
          r,
          RESTORE_FAILED,
          `${option} ${device}: a character device is there; refusing to replace it`,
        );
        assert.deepEqual(processesWith(prog[1]), [], "the program started");
      } finally {
        for (const pid of processesWith(prog[1])) Deno.kill(pid, "SIGKILL");
      }
      const after = Deno.statSync(device);
      assert.ok(after.isCharDevice);
      assert.equal(after.rdev, before.rdev);
      assert.equal(after.ino, before.ino);
    }
    assert.deepEqual(names(dir), ["full", "null"]);
  });
});

Deno.test("symlinks planted at the old app.pid.tmpPID names are never followed", async () => {
  prepareSample();
  await inTempDir(async (dir) => {
    Deno.writeTextFileSync(join(dir, "victim"), "precious\n");
    const prog = program();
    const proc = new Deno.Command(FDRESTORE, {
      args: ["restore", "-D", SAMPLE, "-d", "--pidfile", join(dir, "app.pid"), "--", ...prog],
      env: { FDRESTORE_TEST_PAUSE_MS: "1500" }, // held after the tasks started
      stdout: "null",
      stderr: "piped",
    }).spawn();
    // The writer's name was PATH.tmp + its pid: plant one for it and its neighbours.
    const planted = [0, 1, 2, 3].map((i) => join(dir, `app.pid.tmp${proc.pid + i}`));
    for (const p of planted) Deno.symlinkSync(join(dir, "victim"), p);
    try {
      const out = await proc.output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      const [task] = processesWith(prog[1]);
      assert.equal(Deno.readTextFileSync(join(dir, "app.pid")), `${task}\n`);
      assert.ok(Deno.lstatSync(join(dir, "app.pid")).isFile);
      assert.equal(Deno.readTextFileSync(join(dir, "victim")), "precious\n");
      for (const p of planted) assert.equal(Deno.readLinkSync(p), join(dir, "victim"));
      assert.equal(names(dir).length, 2 + planted.length, names(dir).join(" "));
    } finally {
      for (const pid of processesWith(prog[1])) Deno.kill(pid, "SIGKILL");
    }
  });
});

Deno.test("a symlink at the pid file's name is refused; a stale pid file of ours is replaced", async () => {
  prepareSample();
  await inTempDir(async (dir) => {
    const pidfile = join(dir, "app.pid");
    Deno.writeTextFileSync(join(dir, "victim"), "precious\n");
    Deno.symlinkSync(join(dir, "victim"), pidfile);
    const prog = program();
    const r = await runCli(["restore", "-D", SAMPLE, "-d", "--pidfile", pidfile, "--", ...prog]);
    const left = processesWith(prog[1]);
    for (const pid of left) Deno.kill(pid, "SIGKILL");
    oneLine(
      r,
      RESTORE_FAILED,
      `--pidfile ${pidfile}: a symbolic link is there; refusing to replace it`,
    );
    assert.deepEqual(left, []);
    assert.equal(Deno.readTextFileSync(join(dir, "victim")), "precious\n");
    assert.deepEqual(names(dir), ["app.pid", "victim"]);

    Deno.removeSync(pidfile);
    Deno.writeTextFileSync(pidfile, "99999\n");
    try {
      const ok = await runCli(["restore", "-D", SAMPLE, "-d", "--pidfile", pidfile, "--", ...prog]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(Deno.readTextFileSync(pidfile), `${processesWith(prog[1])[0]}\n`);
      assert.deepEqual(names(dir), ["app.pid", "victim"]);
    } finally {
      for (const pid of processesWith(prog[1])) Deno.kill(pid, "SIGKILL");
    }
  });
});

Deno.test("a hard link planted at the log file's name keeps its text; a symlink is refused", async () => {
  prepareSample();
  await inTempDir(async (dir) => {
    const logFile = join(dir, "restore.log");
    Deno.writeTextFileSync(join(dir, "victim"), "precious\n");
    Deno.linkSync(join(dir, "victim"), logFile);
    const r = await runCli(["check", "-D", SAMPLE, "-v3", "--log-file", logFile]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(Deno.readTextFileSync(join(dir, "victim")), "precious\n");
    assert.match(Deno.readTextFileSync(logFile), /images read: 1 task\(s\)/);

    Deno.removeSync(logFile);
    Deno.symlinkSync(join(dir, "victim"), logFile);
    const refused = await runCli(["show", "-D", SAMPLE, "--log-file", logFile]);
    oneLine(
      refused,
      OUTPUT,
      `--log-file ${logFile}: a symbolic link is there; refusing to replace it`,
    );
    assert.equal(refused.stdout, "");
    assert.equal(Deno.readTextFileSync(join(dir, "victim")), "precious\n");
  });
});

Deno.test("--log-file in a missing folder is one line and exit 6", async () => {
  const r = await runCli(["show", "-D", SAMPLE, "--log-file", "/nonexistent-fdrestore/x.log"]);
  oneLine(
    r,
    OUTPUT,
    "--log-file /nonexistent-fdrestore/x.log: cannot open its folder /nonexistent-fdrestore: " +
      "ENOENT (No such file or directory)",
  );
});

Deno.test("decode -o refuses a missing folder, /proc/version, a device and a symlink", async () => {
  await inTempDir(async (dir) => {
    const image = join(SAMPLE, "pstree.img");
    Deno.symlinkSync("/etc/hostname", join(dir, "link.json"));
    const dev = devices(dir);
    const hostname = Deno.readTextFileSync("/etc/hostname");
    const cases: [string, string][] = [
      [
        "/nonexistent-fdrestore/x.json",
        "cannot open its folder /nonexistent-fdrestore: ENOENT (No such file or directory)",
      ],
      [join(dir, "link.json"), "a symbolic link is there; refusing to replace it"],
    ];
    if (dev) cases.push([dev.full, "a character device is there; refusing to replace it"]);
    for (const [out, why] of cases) {
      oneLine(await runCli(["decode", "-i", image, "-o", out]), OUTPUT, `-o ${out}: ${why}`);
    }
    // /proc/version is a regular file of root's, but nothing can be made in /proc.
    const proc = await runCli(["decode", "-i", image, "-o", "/proc/version"]);
    assert.match(
      proc.stderr,
      // As root the folder refuses the new file; as another user the owner check comes first.
      /^fdrestore: error: -o \/proc\/version: (cannot create a file in \/proc: (ENOENT|EACCES) \([^)]*\)|a file of uid 0 is there, not ours \(uid \d+\); refusing to replace it)\n$/,
    );
    assert.equal(proc.code, OUTPUT);
    assert.equal(Deno.readTextFileSync("/etc/hostname"), hostname);
    const made = dev ? ["full", "null"] : [];
    assert.deepEqual(names(dir), [...made, "link.json"].sort());
    if (dev) assert.ok(Deno.statSync(dev.full).isCharDevice);
    // A good path gets the JSON; a bad image leaves no file at all.
    const ok = await runCli(["decode", "-i", image, "-o", join(dir, "pstree.json")]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(JSON.parse(Deno.readTextFileSync(join(dir, "pstree.json"))).magic, "PSTREE");
    const bad = await runCli(["decode", "-i", "/etc/hostname", "-o", join(dir, "bad.json")]);
    assert.equal(bad.code, 3, bad.stderr);
    assert.deepEqual(names(dir), [...made, "link.json", "pstree.json"].sort());
  });
});

Deno.test("a full stdout is one line and exit 6; a closed one ends quietly with 141", async () => {
  const full = await new Deno.Command("sh", {
    args: ["-c", 'exec "$0" "$@" >/dev/full', FDRESTORE, "show", "-D", SAMPLE],
    env: { NO_COLOR: "1" },
    stderr: "piped",
  }).output();
  assert.equal(
    new TextDecoder().decode(full.stderr),
    "fdrestore: error: cannot write to stdout: No space left on device (os error 28)\n",
  );
  assert.equal(full.code, OUTPUT);

  // `show | head` where head is gone before the first write.
  const proc = new Deno.Command(FDRESTORE, {
    args: ["show", "-D", SAMPLE, "--json"],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  await proc.stdout.cancel();
  const stderr = await new Response(proc.stderr).text();
  const status = await proc.status;
  assert.equal(stderr, "");
  assert.equal(status.code, 141);
});

/** Every path under the scenario's folder (socket files a restore binds). */
function listTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of Deno.readDirSync(d)) {
      out.push(join(d, e.name));
      if (e.isDirectory) walk(join(d, e.name));
    }
  };
  walk(dir);
  return out.sort();
}

Deno.test("--pidfile in a missing folder fails before a socket is bound or a task starts", async () => {
  if (!haveCorpus("pid file before the start") || !haveRoot("pid file before the start")) return;
  prepareCorpus(CORPUS, "unix-sockets");
  const before = listTree("/tmp/criu-corpus/unix-sockets");
  const prog = program();
  const pidfile = "/nonexistent-fdrestore/app.pid";
  const r = await runCli([
    "restore",
    "-D",
    imagesOf("unix-sockets"),
    "-d",
    "--pidfile",
    pidfile,
    "--",
    ...prog,
  ]);
  const left = processesWith(prog[1]);
  for (const pid of left) Deno.kill(pid, "SIGKILL");
  oneLine(
    r,
    RESTORE_FAILED,
    `--pidfile ${pidfile}: cannot open its folder /nonexistent-fdrestore: ` +
      "ENOENT (No such file or directory)",
  );
  assert.deepEqual(left, []);
  assert.deepEqual(listTree("/tmp/criu-corpus/unix-sockets"), before);
});

Deno.test("a pid file that cannot be named after the tasks started rolls everything back", async () => {
  if (!haveCorpus("pid file rollback") || !haveRoot("pid file rollback")) return;
  prepareCorpus(CORPUS, "unix-sockets");
  const before = listTree("/tmp/criu-corpus/unix-sockets");
  await inTempDir(async (dir) => {
    const prog = program();
    const pidfile = join(dir, "app.pid");
    const r = await runCli(
      ["restore", "-D", imagesOf("unix-sockets"), "-d", "--pidfile", pidfile, "--", ...prog],
      { env: { FDRESTORE_TEST_FAULT: "renameat:1:EACCES" } },
    );
    const left = processesWith(prog[1]);
    for (const pid of left) Deno.kill(pid, "SIGKILL");
    oneLine(r, RESTORE_FAILED, `--pidfile ${pidfile}: EACCES (Permission denied)`);
    assert.deepEqual(left, [], "a task was left running");
    assert.deepEqual(listTree("/tmp/criu-corpus/unix-sockets"), before, "socket files left");
    assert.deepEqual(names(dir), [], "the new pid file was left");
  });
});
