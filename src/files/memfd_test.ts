import assert from "node:assert/strict";
import { FD_TYPE } from "../model/mod.ts";
import { close, fstat, getFlags, getSeals, lseek, memfdCreate, O, read, SEEK } from "../sys/mod.ts";
import { memfdOpener } from "./memfd.ts";
import { firstFile, memfdInode, oneTask, testContext } from "./_test_utils.ts";
import { CORPUS, haveCorpus } from "../../tests/support/corpus.ts";
import { haveRoot } from "../../tests/support/root.ts";
import { join } from "node:path";
import { loadCheckpoint } from "../model/mod.ts";

function content(fd: number, size: number): string {
  const buf = new Uint8Array(new ArrayBuffer(size));
  let got = 0;
  while (got < size) {
    const n = read(fd, buf.subarray(got));
    if (n === 0) break;
    got += n;
  }
  return new TextDecoder().decode(buf.subarray(0, got));
}

Deno.test("memfds of the corpus come back with content, mode, seals, offsets and one inode per inode_id", () => {
  if (!haveCorpus("memfd opener")) return;
  if (!haveRoot("memfd opener (the corpus memfds are root's)")) return;
  const cp = loadCheckpoint(join(CORPUS, "memfd", "images"), { args: false });
  const t = testContext(cp);
  const byFd = new Map<number, number>();
  try {
    for (const e of cp.root.fds) {
      if (e.file.type !== FD_TYPE.MEMFD || byFd.has(e.fd)) continue;
      const fd = memfdOpener.open(t.ctx, e.file) as number;
      for (const same of e.file.fds) byFd.set(same.fd, fd);
    }
    const [sealed, mapped, cloexec, again, noexec] = [3, 4, 5, 6, 8].map((n) => byFd.get(n)!);
    assert.equal(lseek(sealed, 0n, SEEK.CUR), 1234n);
    assert.equal(getSeals(sealed), 0xf); // SEAL|SHRINK|GROW|WRITE
    assert.equal(getSeals(mapped), 0x1);
    assert.equal(getSeals(noexec), 0x20); // F_SEAL_EXEC
    assert.equal(fstat(noexec).mode & 0o777, 0o666);
    assert.equal(fstat(sealed).mode & 0o777, 0o777);
    assert.equal(fstat(cloexec).size, 100n);
    assert.equal(lseek(cloexec, 0n, SEEK.CUR), 1n);
    // fd 6 is another description of fd 3's inode, read-only, at offset 0.
    assert.equal(fstat(again).ino, fstat(sealed).ino);
    assert.equal(getFlags(again) & O.ACCMODE, O.RDONLY);
    assert.equal(lseek(again, 0n, SEEK.CUR), 0n);
    assert.equal(content(noexec, 10).length, 0); // at its dumped offset 10 = end
    lseek(noexec, 0n, SEEK.SET);
    assert.equal(content(noexec, 10), "#!/bin/sh\n");
    lseek(mapped, 100n, SEEK.SET);
    assert.doesNotMatch(content(mapped, 31), /^\0+$/); // the bytes written through the mapping
    assert.equal(content(mapped, 100), "\0".repeat(100)); // the rest stays zero
  } finally {
    for (const fd of new Set(byFd.values())) close(fd);
    t.dispose();
  }
});

Deno.test("an inherited /memfd:NAME is used as it is", () => {
  const caller = memfdCreate("cloexec", 0);
  const ino = fstat(caller).ino;
  const cp = oneTask([{
    id: 2,
    type: FD_TYPE.MEMFD,
    payload: { id: 2, flags: 2, inode_id: 1n },
    fds: [5],
  }]);
  cp.memfdInodes.set(1n, memfdInode({ name: "cloexec", inode_id: 1n, size: 100n, shmid: 1 }));
  const t = testContext(cp);
  t.ctx.inherit.stage(caller, "/memfd:cloexec");
  try {
    const fd = memfdOpener.open(t.ctx, firstFile(cp, FD_TYPE.MEMFD)) as number;
    assert.equal(fstat(fd).ino, ino);
    assert.equal(fstat(fd).size, 0n); // nothing from the images was applied
    close(fd);
  } finally {
    t.dispose(); // closes the staged caller fd too
  }
});
