/**
 * What the environment or the command line gets wrong before a restore can
 * begin: no /proc, a --root that is no folder, an --inherit-fd descriptor that
 * cannot be used. Each is one line and its documented exit code.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type CliResult, FDRESTORE, runCli } from "./support/cli.ts";
import { REPO_ROOT } from "./support/corpus.ts";

const SAMPLE = join(REPO_ROOT, "samples", "sleeper", "images");

function prepareSample(): void {
  assert.ok(new Deno.Command(join(REPO_ROOT, "scripts", "prepare_sample.sh")).outputSync().success);
}

/** `cmd` with fdrestore as its last word ("$0" of an `sh -c` script), then `args`. */
async function runVia(cmd: string[], args: string[]): Promise<CliResult> {
  const out = await new Deno.Command(cmd[0], {
    args: [...cmd.slice(1), FDRESTORE, ...args],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

function canUnshare(): boolean {
  if (Deno.uid() !== 0) return false;
  try {
    return new Deno.Command("unshare", { args: ["--version"], stdout: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}

Deno.test("without /proc, check fails naming /proc with exit 5", async () => {
  if (!canUnshare()) return void console.log("skipped: no /proc: needs root and unshare");
  prepareSample();
  // A mount namespace of its own, where /proc is gone.
  const r = await runVia(
    ["unshare", "-m", "--propagation", "private", "sh", "-c", 'umount -l /proc && exec "$0" "$@"'],
    ["check", "-D", SAMPLE],
  );
  assert.equal(
    r.stderr,
    "fdrestore: error: /proc is not usable (/proc/self/fd: ENOENT (No such file or directory)): " +
      "fdrestore reopens files through /proc/self/fd; mount proc on /proc\n",
  );
  assert.equal(r.code, 5);
});

Deno.test("a --root that is missing or not a folder is a usage error (exit 2)", async () => {
  prepareSample();
  for (
    const [root, why] of [
      ["/nonexistent-fdrestore", "ENOENT (No such file or directory)"],
      ["/etc/hostname", "ENOTDIR (Not a directory)"],
    ]
  ) {
    const r = await runCli(["check", "-D", SAMPLE, "--root", root]);
    assert.equal(r.stderr, `fdrestore: error: --root ${root}: ${why}\n`);
    assert.equal(r.code, 2);
  }
});

Deno.test("an --inherit-fd fd that cannot stand for the pipe fails with exit 4", async () => {
  prepareSample();
  // fd 3 is a folder, given for the sample's pipe.
  const r = await runVia(["sh", "-c", 'exec "$0" "$@" 3</'], [
    "check",
    "-D",
    SAMPLE,
    "--inherit-fd",
    "fd[3]:pipe:[8386]",
  ]);
  assert.equal(
    r.stderr,
    "fdrestore: error: fd 4 of task 4848: Unable to reopen the pipe of --inherit-fd " +
      "fd[3]:pipe:[8386]: EISDIR (Is a directory)\n",
  );
  assert.equal(r.code, 4);
});
