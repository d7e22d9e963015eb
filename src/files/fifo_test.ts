import assert from "node:assert/strict";
import { join } from "node:path";
import { regFileKey } from "../inherit/mod.ts";
import { FD_TYPE } from "../model/mod.ts";
import { close, getFlags, getPipeSize, mkfifo, O, open, setFlags, writeAll } from "../sys/mod.ts";
import { enc, fileOf, ino, model, openFds, readAllNow, testContext } from "./_test_utils.ts";
import { fifoDataOwners, fifoOpener } from "./fifo.ts";
import { RestoreError } from "../restore_error.ts";

const FIFO = FD_TYPE.FIFO;
const REG = FD_TYPE.REG;
const S_IFIFO = 0o10000;

/** A FIFO at `<dir>/fifo`, and the image path of it (no leading slash). */
function makeFifo(): { dir: string; name: string; path: string } {
  const dir = Deno.makeTempDirSync({ prefix: "fdrestore-fifo-" });
  const path = join(dir, "fifo");
  mkfifo(path, 0o600);
  return { dir, name: path, path };
}

function fifoFiles(name: string, opens: { id: number; flags: number; fd: number }[], pipeId = 5) {
  return opens.flatMap((o) => [
    {
      id: o.id + 1,
      type: REG,
      payload: { id: o.id + 1, name, flags: o.flags, pos: 0n, mode: S_IFIFO | 0o600 },
    },
    {
      id: o.id,
      type: FIFO,
      payload: { id: o.id, pipe_id: pipeId, regf_id: o.id + 1 },
      fds: [[1, o.fd]] as [number, number][],
    },
  ]);
}

function openFifo(f: ReturnType<typeof testContext>, id: number): number {
  const fd = fifoOpener.open(f.ctx, fileOf(f.ctx.cp, FIFO, id));
  assert.equal(typeof fd, "number");
  return fd as number;
}

Deno.test("a write-only FIFO opens without a reader and gets its capacity and saved bytes", () => {
  const { dir, name, path } = makeFifo();
  const cp = model({
    files: fifoFiles(name, [{ id: 16, flags: O.WRONLY | O.NONBLOCK, fd: 16 }]),
    fifoData: [{ pipeId: 5, size: 131072, bytes: enc("fifo-pair: thirty bytes here.\n") }],
  });
  const f = testContext(cp);
  const before = openFds();
  // Without the O_RDWR helper this open fails with ENXIO (no reader).
  const w = openFifo(f, 16);
  try {
    assert.deepEqual(openFds(), [...before, w].sort((a, b) => a - b), "the helper is closed");
    assert.equal(getFlags(w) & (O.ACCMODE | O.NONBLOCK), O.WRONLY | O.NONBLOCK);
    assert.equal(getPipeSize(w), 131072);
    const r = open(path, O.RDONLY | O.NONBLOCK | O.CLOEXEC);
    assert.equal(readAllNow(r), "fifo-pair: thirty bytes here.\n");
    close(r);
  } finally {
    close(w);
    f.dispose();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("only the first FIFO file of a pipe_id writes the FIFO's bytes", () => {
  const { dir, name } = makeFifo();
  const cp = model({
    files: fifoFiles(name, [
      { id: 14, flags: O.RDWR | O.LARGEFILE, fd: 14 },
      { id: 20, flags: O.RDONLY | O.NONBLOCK | O.LARGEFILE, fd: 17 },
    ]),
    fifoData: [{ pipeId: 5, size: 65536, bytes: enc("fifty bytes") }],
  });
  assert.equal(fifoDataOwners(cp).get(5)?.id, 14);
  const f = testContext(cp);
  const second = openFifo(f, 20); // opened first on purpose: it must not write
  const first = openFifo(f, 14);
  try {
    assert.equal(ino(first), ino(second));
    assert.equal(getFlags(first) & O.ACCMODE, O.RDWR);
    assert.equal(getFlags(second) & (O.ACCMODE | O.NONBLOCK), O.RDONLY | O.NONBLOCK);
    assert.equal(readAllNow(second), "fifty bytes");
  } finally {
    close(first);
    close(second);
    f.dispose();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("an inherited FIFO path is the caller's own description, without the saved bytes", () => {
  const { dir, name, path } = makeFifo();
  const cp = model({
    files: fifoFiles(name, [{ id: 16, flags: O.RDONLY, fd: 15 }]),
    fifoData: [{ pipeId: 5, size: 65536, bytes: enc("old") }],
  });
  const f = testContext(cp);
  const caller = open(path, O.RDWR);
  f.inherit.stage(caller, regFileKey(name));
  const fd = openFifo(f, 16);
  try {
    assert.equal(getFlags(fd) & O.ACCMODE, O.RDWR, "the caller's access mode, not the image's");
    setFlags(fd, getFlags(fd) | O.NONBLOCK);
    const staged = f.inherit.lookup(regFileKey(name))?.staged as number;
    assert.equal(getFlags(staged) & O.NONBLOCK, O.NONBLOCK, "one shared description");
    assert.equal(readAllNow(fd), "");
    writeAll(fd, enc("new"));
    assert.equal(readAllNow(fd), "new");
  } finally {
    close(fd);
    f.dispose();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a FIFO whose mode changed is refused with criu's message and nothing leaks", () => {
  const { dir, name } = makeFifo();
  Deno.chmodSync(join(dir, "fifo"), 0o644);
  const cp = model({ files: fifoFiles(name, [{ id: 16, flags: O.RDONLY, fd: 15 }]) });
  const f = testContext(cp);
  const before = openFds();
  try {
    assert.throws(
      () => openFifo(f, 16),
      (e) =>
        e instanceof RestoreError &&
        e.message === `File ${name} has bad mode 010644 (expect 010600)`,
    );
    assert.deepEqual(openFds(), before);
  } finally {
    f.dispose();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a missing FIFO path fails with criu's fake-fifo message", () => {
  const cp = model({ files: fifoFiles("/nonexistent/fifo", [{ id: 16, flags: 0, fd: 15 }]) });
  const f = testContext(cp);
  assert.throws(
    () => openFifo(f, 16),
    (e) =>
      e instanceof RestoreError &&
      e.message.startsWith("Can't open fake fifo 0x10 [/nonexistent/fifo]: open("),
  );
  f.dispose();
});
