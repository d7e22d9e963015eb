/**
 * Issue 16 item 1, as an operator meets it: the unmodified unix-sockets
 * scenario while a live service listens on its socket path (as after
 * `criu dump --leave-running`). `check` and `restore` refuse the name and
 * the service stays reachable; a stale socket file is left alone by `check`
 * (a dry run touches nothing) and replaced by `restore`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "./support/cli.ts";
import { haveRoot } from "./support/root.ts";
import { CORPUS, haveCorpus, imagesOf } from "./support/corpus.ts";
import { prepareCorpus } from "./support/fault_sweep.ts";
import {
  AF,
  bind,
  close,
  connect,
  encodeSockaddrUn,
  listen,
  SOCK,
  socket,
} from "../src/sys/mod.ts";

const DIR = "/tmp/criu-corpus/unix-sockets";
const NAME = join(DIR, "listen.sock");

function listener(): number {
  const fd = socket(AF.UNIX, SOCK.STREAM | SOCK.CLOEXEC);
  bind(fd, encodeSockaddrUn({ path: NAME }));
  listen(fd, 4);
  return fd;
}

function reachable(): boolean {
  const fd = socket(AF.UNIX, SOCK.STREAM | SOCK.CLOEXEC);
  try {
    connect(fd, encodeSockaddrUn({ path: NAME }));
    return true;
  } catch {
    return false;
  } finally {
    close(fd);
  }
}

function listing(): Map<string, number | bigint | null> {
  return new Map(
    [...Deno.readDirSync(DIR)].map((e) => [e.name, Deno.lstatSync(join(DIR, e.name)).ino]),
  );
}

Deno.test("check and restore never remove a socket a live service listens on", async () => {
  if (!haveCorpus("live socket") || !haveRoot("live socket (prepare)")) return;
  prepareCorpus(CORPUS, "unix-sockets");
  const service = listener();
  try {
    const before = listing();
    for (const command of ["check", "restore"]) {
      const r = await runCli([command, "-D", imagesOf("unix-sockets"), "--", "/bin/true"].slice(
        0,
        command === "check" ? 3 : 5,
      ));
      assert.equal(r.code, command === "check" ? 1 : 125, r.stderr);
      assert.match(
        r.stderr,
        /Socket name \/tmp\/criu-corpus\/unix-sockets\/listen\.sock is in use: something listens on it \(EADDRINUSE\)/,
      );
      assert.ok(reachable(), `the live service is unreachable after ${command}`);
      assert.deepEqual(listing(), before);
    }
  } finally {
    close(service);
  }
});

Deno.test("check touches nothing: no socket file made, a stale one left as it is", async () => {
  if (!haveCorpus("check touches nothing") || !haveRoot("check touches nothing (prepare)")) return;
  prepareCorpus(CORPUS, "unix-sockets");
  const clean = listing();
  let r = await runCli(["check", "-D", imagesOf("unix-sockets")]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(listing(), clean, "check made a file");
  close(listener()); // a stale socket file: nobody listens any more
  const stale = listing();
  r = await runCli(["check", "-D", imagesOf("unix-sockets"), "-v"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /listen\.sock is stale; a restore replaces it/);
  assert.deepEqual(listing(), stale, "check changed the folder");
  prepareCorpus(CORPUS, "unix-sockets");
});
