import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "./support/cli.ts";
import { CORPUS, haveCorpus, imagesOf, REPO_ROOT } from "./support/corpus.ts";

const SAMPLE = join(REPO_ROOT, "samples", "sleeper", "images");

/** Recreates the files the sample's fds name (scripts/prepare_sample.sh). */
function prepareSample(): void {
  const out = new Deno.Command(join(REPO_ROOT, "scripts", "prepare_sample.sh")).outputSync();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
}

/** A user error is one line on stderr, never a stack trace. */
function assertOneLineError(stderr: string, text: string): void {
  const lines = stderr.trimEnd().split("\n").filter((l) => !l.startsWith("Try '"));
  assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`);
  assert.match(lines[0], /^fdrestore: error: /);
  assert.ok(lines[0].includes(text), `${lines[0]} lacks ${text}`);
  assert.doesNotMatch(stderr, /\n\s+at |Stack backtrace/);
}

Deno.test("--version names the version, the commit and Deno", async () => {
  const r = await runCli(["--version"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^fdrestore \d+\.\d+\.\d+ \(commit [\w-]+\), deno \d+\.\d+\.\d+\n$/);
});

Deno.test("--help lists the commands, the exit codes and how to find inherit keys", async () => {
  const r = await runCli(["--help"]);
  assert.equal(r.code, 0);
  for (const word of ["restore", "show", "decode", "check", "--inherit-fd", "Exit"]) {
    assert.ok(r.stdout.includes(word), `help lacks ${word}`);
  }
  for (const line of r.stdout.split("\n")) assert.ok(line.length <= 80, `too wide: ${line}`);
});

Deno.test("an unknown option is one usage line with exit code 2", async () => {
  const r = await runCli(["show", "--frobnicate"]);
  assert.equal(r.code, 2);
  assertOneLineError(r.stderr, "--frobnicate");
  assert.match(r.stderr, /Try 'fdrestore show --help'/);
});

Deno.test("show of the sample lists its fds with sharing, peers and keys", async () => {
  prepareSample();
  const r = await runCli(["show", "-D", SAMPLE]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split("\n");
  const row = (fd: number) => lines.findIndex((l) => l.startsWith(String(fd).padStart(7) + " "));
  assert.match(lines[row(0)], /^ {6}0 r +- +\/dev\/null \(chr\)$/);
  assert.match(lines[row(1)], /^ {6}1 w +append +\/tmp\/fdrestore-sample\/data\/out\.log$/);
  assert.match(lines[row(1) + 1], /same description as fd 2/);
  assert.match(lines[row(3) + 1], /pos 6; key tmp\/fdrestore-sample\/data\/notes\.txt/);
  assert.match(lines[row(6)], /^ {6}6 r +cloexec +pipe:\[\d+\] read end$/);
  assert.match(lines[row(7)], /nonblock +eventfd, count 3$/);
  assert.match(lines[row(8) + 1], /peer fd 10; key socket:\[\d+\]/);
  assert.ok(r.stdout.includes("A restore needs nothing from the caller."));
  for (const line of lines) assert.ok(line.length <= 80, `too wide: ${line}`);
});

Deno.test("show --json of inherit-pipe-stdio names the outside pipe ends and their arguments", async () => {
  if (!haveCorpus("show --json")) return;
  const r = await runCli(["show", "--json", "-D", imagesOf("inherit-pipe-stdio")]);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.deepEqual(
    report.needs.map((n: { fd: number; inherit_arg: string }) => [n.fd, n.inherit_arg]),
    [
      [0, "--inherit-fd 'fd[N]:pipe:[153122]'"],
      [1, "--inherit-fd 'fd[N]:pipe:[153123]'"],
      [2, "--inherit-fd 'fd[N]:pipe:[153124]'"],
    ],
  );
  const fds = report.tasks[0].fds;
  assert.deepEqual(fds[1].shares, ["fd 5"]);
  assert.deepEqual(fds[3].peer, ["fd 4"]);
  assert.equal(fds[0].inherit_key, "pipe:[153122]");
});

Deno.test("show of tree-shared tells which tasks share each description", async () => {
  if (!haveCorpus("show tree-shared")) return;
  const r = await runCli(["show", "--json", "-D", imagesOf("tree-shared")]);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  const fd = (pid: number, n: number) =>
    report.tasks.find((t: { pid: number }) => t.pid === pid).fds.find((f: { fd: number }) =>
      f.fd === n
    );
  assert.deepEqual(fd(7178, 3).shares, ["7179:42", "7180:3", "7181:3"]);
  assert.deepEqual(fd(7179, 4).peer, ["7178:5", "7180:5", "7181:5"]);
  assert.equal(fd(7179, 4).what, "pipe:[152750] read end");
});

Deno.test("decode prints what crit decode prints", async () => {
  if (!haveCorpus("decode CLI")) return;
  const r = await runCli(["decode", "--pretty", "-i", join(imagesOf("pipes"), "files.img")]);
  assert.equal(r.code, 0, r.stderr);
  const want = JSON.parse(
    Deno.readTextFileSync(join(CORPUS, "pipes", "decoded", "files.img.json")),
  );
  assert.deepEqual(JSON.parse(r.stdout), want);
});

Deno.test("a truncated image is a one-line error naming the image, with exit code 3", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    for (const e of Deno.readDirSync(SAMPLE)) {
      Deno.copyFileSync(join(SAMPLE, e.name), join(dir, e.name));
    }
    const files = Deno.readFileSync(join(dir, "files.img"));
    Deno.writeFileSync(join(dir, "files.img"), files.subarray(0, files.length - 5));
    const r = await runCli(["show", "-D", dir]);
    assert.equal(r.code, 3);
    assertOneLineError(r.stderr, "files.img");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a missing images directory is a one-line error with exit code 3", async () => {
  const r = await runCli(["show", "-D", "/nonexistent/images"]);
  assert.equal(r.code, 3);
  assertOneLineError(r.stderr, "inventory.img");
});

Deno.test("show names the files a restore would miss", async () => {
  prepareSample();
  Deno.removeSync("/tmp/fdrestore-sample/data/notes.txt");
  Deno.writeTextFileSync("/tmp/fdrestore-sample/data/out.log", "grown\n");
  try {
    const r = await runCli(["show", "--json", "-D", SAMPLE]);
    assert.equal(r.code, 0, r.stderr);
    const needs = JSON.parse(r.stdout).needs.map((
      n: { fd: number; reason: string },
    ) => [n.fd, n.reason]);
    assert.deepEqual(needs, [[3, "/tmp/fdrestore-sample/data/notes.txt does not exist"]]);
  } finally {
    prepareSample();
  }
});

Deno.test("the demo restores the sample: the program reads the restored offset, pipe and socket", async () => {
  const out = await new Deno.Command(join(REPO_ROOT, "scripts", "demo.sh"), {
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const text = new TextDecoder().decode(out.stdout);
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  assert.match(text, /fd 3, notes\.txt from offset 6: {2}the restored t\.\.\./);
  assert.match(text, /fd 4, bytes queued in the pipe: queued bytes/);
  assert.match(text, /fd 10, bytes queued in the socket: hello peer/);
  assert.match(text, /^ +7 -> anon_inode:\[eventfd\]$/m);
});

Deno.test("decode -D -o writes every image of a checkpoint as crit's decoded/ folder has it", async () => {
  if (!haveCorpus("decode -D")) return;
  for (const name of ["pipes", "tree-shared", "ghost-file", "memfd"]) {
    const out = Deno.makeTempDirSync();
    try {
      const r = await runCli(["decode", "--pretty", "-D", imagesOf(name), "-o", out]);
      assert.equal(r.code, 0, r.stderr);
      const ours = [...Deno.readDirSync(out)].map((e) => e.name).sort();
      const crit = [...Deno.readDirSync(join(CORPUS, name, "decoded"))].map((e) => e.name)
        .filter((n) => n.endsWith(".json")).sort();
      assert.deepEqual(ours, crit, name);
      for (const file of ours) {
        assert.deepEqual(
          JSON.parse(Deno.readTextFileSync(join(out, file))),
          JSON.parse(Deno.readTextFileSync(join(CORPUS, name, "decoded", file))),
          `${name}/${file}`,
        );
      }
    } finally {
      Deno.removeSync(out, { recursive: true });
    }
  }
});
