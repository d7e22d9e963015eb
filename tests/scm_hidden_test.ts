/**
 * Files that only exist in flight, in a unix socket's queue (SCM_RIGHTS, the
 * sender closed its copy): a real criu dump (tests/fixtures/scm-hidden, made
 * by its make.sh) restored, and the restored program receives them.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "./support/cli.ts";
import { REPO_ROOT } from "./support/corpus.ts";

const IMAGES = join(REPO_ROOT, "tests", "fixtures", "scm-hidden", "images");

/** Receives what is queued on fd 4 and writes what the passed fds hold to argv[1]. */
const RECEIVER = `
import os, socket, sys
s = socket.socket(fileno=4)
msg, fds, _, _ = socket.recv_fds(s, 16, 4)
with open(sys.argv[1], "w") as out:
    out.write(repr([msg, len(fds), os.read(fds[0], 100), os.read(fds[1], 100), os.read(fds[1], 100)]))
`;

function havePython(): boolean {
  try {
    return new Deno.Command("python3", { args: ["-c", "import socket; socket.recv_fds"] })
      .outputSync().success;
  } catch {
    return false;
  }
}

Deno.test("files passed in a socket queue and closed by the sender reach the restored receiver", async () => {
  if (!havePython()) {
    return void console.log("skipped: in-flight fds: no python3 with socket.recv_fds");
  }
  // The dump's paths under a fresh --root (not the fixed /tmp folder, which
  // another user's run may own): its cwd and data.txt as dumped; its stdio was
  // /dev/null, which a root folder cannot hold without root, so it is inherited.
  const root = Deno.makeTempDirSync({ prefix: "fdrestore-scm-" });
  try {
    Deno.mkdirSync(join(root, "tmp", "fdrestore-fixture-scm"), { recursive: true });
    Deno.writeTextFileSync(join(root, "tmp", "fdrestore-fixture-scm", "data.txt"), "abcdefghij\n");
    const out = join(root, "received");
    const r = await runCli([
      ...["restore", "-D", IMAGES, "--root", root, "--inherit-fd", "fd[0]:dev/null"],
      ...["--", "python3", "-c", RECEIVER, out],
    ]);
    assert.equal(r.code, 0, r.stderr);
    // The byte the sender sent, two fds: data.txt at its offset 3, then the pipe's
    // read end with its bytes and an end of file (its write end was closed).
    assert.equal(Deno.readTextFileSync(out), `[b'x', 2, b'defghij\\n', b'in a pipe\\n', b'']`);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
