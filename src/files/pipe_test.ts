import assert from "node:assert/strict";
import { pipeKey } from "../inherit/mod.ts";
import { FD_TYPE } from "../model/mod.ts";
import { close, dup, getFlags, getPipeSize, O, pipe2, setFlags, writeAll } from "../sys/mod.ts";
import { enc, fileOf, ino, model, openFds, readAllNow, testContext } from "./_test_utils.ts";
import { pipeGroups, pipeOpener, restorePipeData } from "./pipe.ts";
import { RestoreError } from "../restore_error.ts";

const PIPE = FD_TYPE.PIPE;
const ID = 190089;

function pipeFile(id: number, flags: number, fds: [number, number][], pipeId = ID) {
  return { id, type: PIPE, payload: { id, pipe_id: pipeId, flags }, fds };
}

function openNumber(result: ReturnType<typeof pipeOpener.open>): number {
  assert.equal(typeof result, "number");
  return result as number;
}

Deno.test("both ends of a pipe come back as one pipe with its capacity and saved bytes", () => {
  const cp = model({
    files: [pipeFile(10, 0, [[1, 9]]), pipeFile(11, O.WRONLY, [[1, 10]])],
    pipeData: [{ pipeId: ID, size: 262144, bytes: enc("pipe-E bytes") }],
  });
  const f = testContext(cp);
  const r = openNumber(pipeOpener.open(f.ctx, fileOf(cp, PIPE, 10)));
  try {
    const w = f.staged.get(fileOf(cp, PIPE, 11));
    assert.ok(w !== undefined, "the write end is provided for file 11");
    assert.equal(ino(r), ino(w));
    assert.equal(getFlags(r) & O.ACCMODE, O.RDONLY);
    assert.equal(getFlags(w) & O.ACCMODE, O.WRONLY);
    assert.equal(getPipeSize(r), 262144);
    setFlags(r, getFlags(r) | O.NONBLOCK);
    assert.equal(readAllNow(r), "pipe-E bytes");
    writeAll(w, enc("more"));
    assert.equal(readAllNow(r), "more");
  } finally {
    close(r);
    f.dispose();
  }
});

Deno.test("a lone read end keeps its bytes and sees end of file once they are read", () => {
  const cp = model({
    files: [pipeFile(4, 0, [[1, 3]], 190085)],
    pipeData: [{ pipeId: 190085, size: 65536, bytes: enc("x".repeat(100)) }],
  });
  const f = testContext(cp);
  const before = openFds();
  const r = openNumber(pipeOpener.open(f.ctx, fileOf(cp, PIPE, 4)));
  try {
    assert.deepEqual(openFds(), [...before, r].sort((a, b) => a - b), "the write end was closed");
    // Blocking read: returns 0 only because no writer is left.
    assert.equal(readAllNow(r), "x".repeat(100));
  } finally {
    close(r);
    f.dispose();
  }
});

Deno.test("status flags come from each end's image flags", () => {
  const cp = model({ files: [pipeFile(7, O.NONBLOCK, [[1, 6]]), pipeFile(8, O.WRONLY, [[1, 7]])] });
  const f = testContext(cp);
  const r = openNumber(pipeOpener.open(f.ctx, fileOf(cp, PIPE, 7)));
  try {
    const w = f.staged.get(fileOf(cp, PIPE, 8)) as number;
    assert.equal(getFlags(r) & O.NONBLOCK, O.NONBLOCK);
    assert.equal(getFlags(w) & O.NONBLOCK, 0);
  } finally {
    close(r);
    f.dispose();
  }
});

Deno.test("an O_RDWR end opened through /proc is a separate description of the same pipe", () => {
  const cp = model({
    files: [
      pipeFile(10, 0, [[1, 9]]),
      pipeFile(11, O.WRONLY, [[1, 10]]),
      pipeFile(22, O.RDWR | O.LARGEFILE, [[1, 18]]),
    ],
    pipeData: [{ pipeId: ID, size: 65536, bytes: enc("abc") }],
  });
  const f = testContext(cp);
  const r = openNumber(pipeOpener.open(f.ctx, fileOf(cp, PIPE, 10)));
  try {
    const rw = f.staged.get(fileOf(cp, PIPE, 22)) as number;
    assert.equal(ino(rw), ino(r));
    assert.equal(getFlags(rw) & O.ACCMODE, O.RDWR);
    assert.equal(getFlags(rw) & O.LARGEFILE, O.LARGEFILE);
    // Separate descriptions: a status flag set on one does not show on the other.
    setFlags(rw, getFlags(rw) | O.NONBLOCK);
    assert.equal(getFlags(r) & O.NONBLOCK, 0);
    assert.equal(readAllNow(rw), "abc", "the data was written once");
  } finally {
    close(r);
    f.dispose();
  }
});

Deno.test("the creator is the member with the first master and pipe() ends are not reopened", () => {
  const cp = model({
    files: [
      pipeFile(1, O.LARGEFILE, [[20, 3]]),
      pipeFile(2, 0, [[20, 4]]),
      pipeFile(3, O.WRONLY, [[10, 7], [20, 5]]),
      pipeFile(4, O.WRONLY | O.LARGEFILE, [[10, 8]]),
      pipeFile(5, 0, [[10, 9]], 77),
    ],
  });
  const f = testContext(cp);
  const groups = pipeGroups(f.ctx);
  const g = groups.get(fileOf(cp, PIPE, 1));
  assert.ok(g);
  assert.equal(g.creator.id, 3);
  assert.deepEqual(g.members.map((m) => [m.file.id, m.reopen]), [
    [1, true],
    [2, false],
    [3, false],
    [4, true],
  ]);
  assert.equal(groups.get(fileOf(cp, PIPE, 5))?.members.length, 1);
  assert.equal(pipeGroups(f.ctx), groups, "computed once per restore");
  f.dispose();
});

Deno.test("an inherited pipe is reopened from the caller's pipe with the image's direction and no data", () => {
  const cp = model({
    files: [pipeFile(2, 0, [[1, 0]], 153122), pipeFile(3, O.WRONLY, [[1, 1]], 153123)],
    pipeData: [{ pipeId: 153122, size: 65536, bytes: enc("old bytes") }],
  });
  const f = testContext(cp);
  // The caller hands the READ end of a new pipe for the dumped stdout (a write end).
  const [cr, cw] = pipe2(O.CLOEXEC);
  const [sr, sw] = pipe2(O.CLOEXEC);
  // Two numbers at once: the table reads a number staged twice as one fd given twice.
  const [given0, given1] = [dup(cw), dup(sr)];
  f.inherit.stage(given0, pipeKey(153122));
  f.inherit.stage(given1, pipeKey(153123));
  assert.equal(pipeGroups(f.ctx).size, 0, "inherited ends join no group");
  const before = openFds();
  const stdin = openNumber(pipeOpener.open(f.ctx, fileOf(cp, PIPE, 2)));
  const stdout = openNumber(pipeOpener.open(f.ctx, fileOf(cp, PIPE, 3)));
  try {
    assert.deepEqual(openFds(), [...before, stdin, stdout].sort((a, b) => a - b));
    assert.equal(ino(stdin), ino(cr));
    assert.equal(ino(stdout), ino(sr));
    assert.equal(getFlags(stdin) & O.ACCMODE, O.RDONLY);
    assert.equal(getFlags(stdout) & O.ACCMODE, O.WRONLY);
    assert.equal(getFlags(stdout) & O.LARGEFILE, O.LARGEFILE, "a new description via /proc");
    writeAll(cw, enc("new"));
    setFlags(stdin, getFlags(stdin) | O.NONBLOCK);
    assert.equal(readAllNow(stdin), "new");
    writeAll(stdout, enc("out"));
    setFlags(sr, getFlags(sr) | O.NONBLOCK);
    assert.equal(readAllNow(sr), "out");
    assert.equal(f.staged.size, 0);
  } finally {
    for (const fd of [stdin, stdout, cr, cw, sr, sw]) close(fd);
    f.dispose();
  }
});

Deno.test("pipe data that does not fit the capacity is an error, not a hang", () => {
  const cp = model({
    files: [pipeFile(4, 0, [[1, 3]], 9)],
    pipeData: [{ pipeId: 9, size: 4096, bytes: enc("y".repeat(70000)) }],
  });
  const f = testContext(cp);
  const before = openFds();
  assert.throws(
    () => pipeOpener.open(f.ctx, fileOf(cp, PIPE, 4)),
    (e) =>
      e instanceof RestoreError && e.message === "0x9: Wanted to restore 70000 bytes, but got 4096",
  );
  assert.deepEqual(openFds(), before, "no descriptor leaked");
  f.dispose();
});

Deno.test("restorePipeData refuses to restore one entry twice in a restore, not in the next one", () => {
  const [r, w] = pipe2(O.CLOEXEC);
  const first = testContext(model({ files: [] }));
  const next = testContext(first.ctx.cp);
  try {
    const data = { pipeId: 0x2a, bytes: enc("z") };
    restorePipeData(first.ctx, w, data, 0x2a);
    assert.throws(
      () => restorePipeData(first.ctx, w, data, 0x2a),
      (e) => e instanceof RestoreError && e.message === "Double data restore occurred on 0x2a",
    );
    restorePipeData(next.ctx, w, data, 0x2a);
    setFlags(r, getFlags(r) | O.NONBLOCK);
    assert.equal(readAllNow(r), "zz");
  } finally {
    close(r);
    close(w);
    first.dispose();
    next.dispose();
  }
});
