/**
 * Restores that must fail: each gives one line naming the task, fd and file,
 * a documented exit code, and leaves no process behind.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { FDRESTORE, runCli } from "./support/cli.ts";
import { CORPUS, haveCorpus, imagesOf, REPO_ROOT } from "./support/corpus.ts";
import { processesWith } from "./support/tree_fixture.ts";

const SAMPLE = join(REPO_ROOT, "samples", "sleeper", "images");

function prepareSample(): void {
  const out = new Deno.Command(join(REPO_ROOT, "scripts", "prepare_sample.sh")).outputSync();
  assert.ok(out.success);
}

/** A unique program line, to prove afterwards that nothing with it runs. */
function marker(): string[] {
  return ["/bin/sleep", `1000.${crypto.getRandomValues(new Uint32Array(1))[0]}`];
}

/** A restore that fails on its own: 125, fdrestore's band (the program never ran). */
async function failingRestore(args: string[], message: RegExp): Promise<void> {
  const program = marker();
  const r = await runCli(["restore", ...args, "--", ...program]);
  const lines = r.stderr.trimEnd().split("\n").filter((l) => !l.startsWith("Warn"));
  assert.equal(r.code, 125, r.stderr);
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], message);
  assert.doesNotMatch(r.stderr, /Stack backtrace|\n\s+at /);
  assert.deepEqual(processesWith(program[1]), [], "a task was left running");
}

Deno.test("a missing file fails the restore naming the task, fd and path", async () => {
  prepareSample();
  Deno.removeSync("/tmp/fdrestore-sample/data/notes.txt");
  try {
    await failingRestore(
      ["-D", SAMPLE],
      /^fdrestore: error: fd 3 of task 4848: Unable to open \/tmp\/fdrestore-sample\/data\/notes\.txt .*No such file or directory/,
    );
  } finally {
    prepareSample();
  }
});

Deno.test("a file whose size changed fails with criu's message", async () => {
  prepareSample();
  Deno.writeTextFileSync("/tmp/fdrestore-sample/data/notes.txt", "more\n", { append: true });
  try {
    await failingRestore(
      ["-D", SAMPLE],
      /^fdrestore: error: fd 3 of task 4848: File \/tmp\/fdrestore-sample\/data\/notes\.txt has bad size 50 \(expect 45\)$/,
    );
  } finally {
    prepareSample();
  }
});

Deno.test("a program that does not exist fails after every file opened, and nothing runs", async () => {
  prepareSample();
  const r = await runCli(["restore", "-D", SAMPLE, "--", "/nonexistent/program"]);
  assert.equal(r.code, 127, "not found, as env(1) says it");
  assert.equal(
    r.stderr,
    "fdrestore: error: task 4848: cannot start /nonexistent/program: No such file or directory\n",
  );
});

Deno.test("an --inherit-fd key that matches nothing is an error in strict mode", async () => {
  prepareSample();
  const program = marker();
  const cmd = new Deno.Command("/bin/sh", {
    args: [
      "-c",
      `exec "$0" restore -D "$1" --inherit-fd-strict --inherit-fd 'fd[3]:pipe[8386]' -- "$2" "$3" 3</dev/null`,
      FDRESTORE,
      SAMPLE,
      ...program,
    ],
    stdout: "piped",
    stderr: "piped",
  });
  const out = await cmd.output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 125, stderr);
  assert.match(stderr, /pipe\[8386\].*matched no file.*did you mean pipe:\[8386\]\?/);
  assert.equal(stderr.trimEnd().split("\n").length, 1, stderr);
  assert.deepEqual(processesWith(program[1]), []);
});

Deno.test("a port in use fails the restore and names the address", async () => {
  if (!haveCorpus("port in use")) return;
  if (Deno.uid() !== 0) return void console.log("skipped: port in use: prepare needs root");
  const prep = new Deno.Command(join(CORPUS, "prepare"), { args: ["inet-sockets"], stdout: "null" })
    .outputSync();
  assert.ok(prep.success);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 47001 });
  try {
    await failingRestore(["-D", imagesOf("inet-sockets")], /127\.0\.0\.1:47001.*in use/);
  } finally {
    listener.close();
  }
});

Deno.test("a low RLIMIT_NOFILE that cannot be raised fails before anything opens (EMFILE)", async () => {
  prepareSample();
  const program = marker();
  // A hard limit of 40: Deno starts, the sample's table and its staging do not fit.
  const out = await new Deno.Command("prlimit", {
    args: ["--nofile=40:40", "--", FDRESTORE, "restore", "-D", SAMPLE, "--", ...program],
    stdout: "null",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 125, stderr);
  assert.match(stderr, /^fdrestore: error: fd 10 of task 4848: RLIMIT_NOFILE is 40 \(hard 40\)/);
  assert.equal(stderr.trimEnd().split("\n").length, 1, stderr);
  assert.deepEqual(processesWith(program[1]), []);
});

Deno.test("a program name after -- is looked up in PATH, and a missing one is named", async () => {
  prepareSample();
  const r = await runCli(["restore", "-D", SAMPLE, "--", "no-such-program-fdrestore"]);
  assert.equal(r.code, 127);
  assert.equal(
    r.stderr,
    "fdrestore: error: task 4848: cannot start no-such-program-fdrestore: not found in PATH\n",
  );
  const ok = await runCli(["restore", "-D", SAMPLE, "--", "true"]);
  assert.equal(ok.code, 0, ok.stderr);
});

Deno.test("--listen-fds on a task without a listening socket fails before anything starts", async () => {
  await failingRestore(
    ["-D", SAMPLE, "--listen-fds"],
    /^fdrestore: error: task 4848 has no listening socket to pass \(--listen-fds\)$/,
  );
});

Deno.test("--no-children with --pid of a task without children is refused", async () => {
  if (!haveCorpus("--no-children of a leaf")) return;
  await failingRestore(
    ["-D", imagesOf("tree-shared"), "--pid", "7179", "--no-children"],
    /^fdrestore: error: task 7179 has no children to leave out \(--no-children\)$/,
  );
});

Deno.test("--fds-env with an invalid variable name is a usage error", async () => {
  const program = marker();
  const r = await runCli(["restore", "-D", SAMPLE, "--fds-env", "1NGINX", "--", ...program]);
  assert.equal(r.code, 125, "restore's usage errors are its own failures too");
  assert.equal(
    r.stderr,
    "fdrestore: error: invalid --fds-env '1NGINX' (expected a variable name: letters, digits and _)\n" +
      "Try 'fdrestore restore --help'\n",
  );
  assert.deepEqual(processesWith(program[1]), []);
});
