/**
 * O_CREAT, O_EXCL and O_TRUNC in an image never reach open(2), whatever the
 * path a file takes: each test gives a file those flags and shows what would
 * have happened (EEXIST on an existing name, lost content) did not.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { CORPUS, haveCorpus } from "../../tests/support/corpus.ts";
import { haveRoot } from "../../tests/support/root.ts";
import { FD_TYPE, loadCheckpoint } from "../model/mod.ts";
import { close, fstat, mkfifo, O, pipe2 } from "../sys/mod.ts";
import { imageOpenFlags, NEVER_FROM_IMAGE } from "./open_flags.ts";
import { fileOf, model, oneTask, testContext, ttyInfo } from "./_test_utils.ts";
import { fifoOpener } from "./fifo.ts";
import { memfdOpener } from "./memfd.ts";
import { reopenPipe } from "./pipe.ts";
import { ttyOpener } from "./tty.ts";

const HOSTILE = O.CREAT | O.EXCL | O.TRUNC;

Deno.test("imageOpenFlags keeps access mode and status flags and drops create/truncate/tmpfile", () => {
  const keep = O.RDWR | O.APPEND | O.NONBLOCK | O.LARGEFILE | O.NOATIME | O.DIRECT;
  assert.equal(imageOpenFlags(keep | HOSTILE | O.TMPFILE | O.CLOEXEC), keep);
  for (const bit of [O.CREAT, O.EXCL, O.TRUNC, O.TMPFILE, O.CLOEXEC]) {
    assert.equal(NEVER_FROM_IMAGE & bit, bit);
  }
});

Deno.test("a FIFO whose image asks for O_CREAT|O_EXCL|O_TRUNC opens the existing FIFO", () => {
  const dir = Deno.makeTempDirSync({ prefix: "fdrestore-flags-" });
  const path = join(dir, "fifo");
  mkfifo(path, 0o600);
  const cp = model({
    files: [
      {
        id: 2,
        type: FD_TYPE.REG,
        payload: { id: 2, name: path, flags: O.RDONLY | O.NONBLOCK | HOSTILE, pos: 0n },
      },
      { id: 1, type: FD_TYPE.FIFO, payload: { id: 1, pipe_id: 5, regf_id: 2 }, fds: [[1, 3]] },
    ],
  });
  const f = testContext(cp);
  try {
    // O_CREAT|O_EXCL on an existing name would fail with EEXIST.
    const fd = fifoOpener.open(f.ctx, fileOf(cp, FD_TYPE.FIFO, 1)) as number;
    close(fd);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a memfd description whose image asks for O_TRUNC keeps the memfd's content", () => {
  if (!haveCorpus("memfd flags")) return;
  if (!haveRoot("memfd flags (the corpus memfds are root's)")) return;
  const cp = loadCheckpoint(join(CORPUS, "memfd", "images"), { args: false });
  const t = testContext(cp);
  try {
    // fd 4 of the corpus task: a memfd with content and no shrink seal.
    const file = cp.root.fds.find((e) => e.fd === 4)!.file;
    assert.ok(file.type === FD_TYPE.MEMFD);
    file.payload.flags |= HOSTILE;
    const fd = memfdOpener.open(t.ctx, file) as number;
    try {
      assert.ok(fstat(fd).size > 0n, "the memfd was truncated");
    } finally {
      close(fd);
    }
  } finally {
    t.dispose();
  }
});

Deno.test("a terminal file whose image asks for O_TRUNC|O_CREAT|O_EXCL is opened as it is", () => {
  const dir = Deno.makeTempDirSync({ prefix: "fdrestore-flags-" });
  Deno.writeTextFileSync(join(dir, "term"), "content");
  const cp = oneTask([
    { id: 2, type: FD_TYPE.REG, payload: { id: 2, name: "/term", flags: O.RDWR } },
    {
      id: 1,
      type: FD_TYPE.TTY,
      payload: { id: 1, tty_info_id: 7, regf_id: 2, flags: O.RDWR | HOSTILE },
      fds: [3],
    },
  ]);
  cp.ttyInfo.set(7, ttyInfo({ id: 7, type: 5, rdev: 0 })); // an external terminal: opened by path
  const t = testContext(cp, dir);
  try {
    const fd = ttyOpener.open(t.ctx, fileOf(cp, FD_TYPE.TTY, 1)!) as number;
    close(fd);
    assert.equal(Deno.readTextFileSync(join(dir, "term")), "content");
  } finally {
    t.dispose();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a pipe reopened through /proc with O_CREAT|O_EXCL in its flags still opens", () => {
  const [r, w] = pipe2();
  try {
    close(reopenPipe(r, O.RDONLY | HOSTILE));
  } finally {
    close(r);
    close(w);
  }
});
