import assert from "node:assert/strict";
import { join } from "node:path";
import { existsSync } from "node:fs";
import { haveRoot } from "../../tests/support/root.ts";
import { ZDTM_CORPUS } from "../../tests/support/zdtm.ts";
import { type Checkpoint, FD_TYPE, fileKey, loadCheckpoint } from "../model/mod.ts";
import { close, fstat, getFlags, O, S_IF } from "../sys/mod.ts";
import { regOpener } from "./reg.ts";
import { fifoOpener } from "./fifo.ts";
import { inotifyOpener } from "./inotify.ts";
import { fdinfo, testContext } from "./_anon_fixtures.ts";

/** The images of a zdtm scenario, or undefined (with a visible skip) when the corpus is absent. */
function zdtm(name: string): Checkpoint | undefined {
  const dir = join(ZDTM_CORPUS, `zdtm-${name}`, "images");
  if (!existsSync(dir)) {
    console.log(`skipped: no zdtm corpus at ${ZDTM_CORPUS}`);
    return undefined;
  }
  return loadCheckpoint(dir, { args: false });
}

/** A temporary root holding the scenario's folder `/tmp/criu-corpus/zdtm-NAME` (empty). */
function rootFor(name: string): { root: string; dir: string } {
  const root = Deno.makeTempDirSync({ prefix: "fdrestore-ghost-node-" });
  const dir = join(root, "tmp/criu-corpus", `zdtm-${name}`);
  Deno.mkdirSync(dir, { recursive: true });
  return { root, dir };
}

function listing(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

function reg(cp: Checkpoint, id: number) {
  return cp.files.get(fileKey(FD_TYPE.REG, id))!;
}

Deno.test("a deleted folder whose folder was deleted too comes back deleted; the folders made for it go", () => {
  if (!haveRoot("folder ghosts (mode 0 folders, owners as dumped)")) return;
  const cp = zdtm("rmdir_open");
  if (!cp) return;
  const { root, dir } = rootFor("rmdir_open");
  const t = testContext(cp, root);
  try {
    const fd = regOpener.open(t.ctx, reg(cp, 6)) as number;
    t.staged.set(reg(cp, 6), fd);
    // As at dump time (truth.json): the path under the deleted folder, 0700, O_DIRECTORY not kept.
    assert.equal(
      Deno.readLinkSync(`/proc/self/fd/${fd}`),
      `${dir}/rmdir_open.test/subdir (deleted)`,
    );
    const st = fstat(fd);
    assert.equal(st.mode, 0o40700);
    assert.equal(getFlags(fd), O.RDONLY | O.LARGEFILE); // the kernel keeps no O_DIRECTORY (truth.json)
    assert.deepEqual(listing(dir), []); // neither rmdir_open.test nor subdir remains
    assert.match(t.lines.join(""), /Making ghost 040700 for .*rmdir_open\.test\/subdir/);
    // --untrusted names no ghost: a folder one is refused before anything is made.
    assert.throws(() => regOpener.open({ ...t.ctx, untrusted: true }, reg(cp, 6)), {
      message: /has mode 040700: --untrusted names no ghost$/,
    });
  } finally {
    t.dispose();
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("a deleted device node comes back deleted with its number and mode; --untrusted makes none", () => {
  if (!haveRoot("device ghosts (mknod needs CAP_MKNOD)")) return;
  const cp = zdtm("deleted_dev");
  if (!cp) return;
  const { root, dir } = rootFor("deleted_dev");
  const t = testContext(cp, root);
  try {
    const fd = regOpener.open(t.ctx, reg(cp, 6)) as number;
    t.staged.set(reg(cp, 6), fd);
    assert.equal(Deno.readLinkSync(`/proc/self/fd/${fd}`), `${dir}/deleted_dev.test (deleted)`);
    const st = Deno.statSync(`/proc/self/fd/${fd}`);
    assert.equal(st.mode! & 0o177777, S_IF.CHR | 0o700);
    assert.equal(st.rdev, 0x103); // 1:3, /dev/null, as dumped
    assert.equal(getFlags(fd) & O.ACCMODE, O.RDWR);
    assert.deepEqual(listing(dir), []);
  } finally {
    t.dispose();
  }
  // The attack: an image from elsewhere names any device (a disk, /dev/mem) with any mode, and
  // the restored program would get it open read-write. Under --untrusted nothing is made.
  const u = testContext(cp, root);
  try {
    assert.throws(() => regOpener.open({ ...u.ctx, untrusted: true }, reg(cp, 6)), {
      message:
        /^Ghost ghost-file-1\.img for .*deleted_dev\.test has mode 020700: a device node; --untrusted makes none$/,
    });
    assert.deepEqual(listing(dir), []);
  } finally {
    u.dispose();
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("a deleted symlink opened O_PATH|O_NOFOLLOW comes back as that symlink, deleted", () => {
  if (!haveRoot("symlink ghosts (owners as dumped)")) return;
  const cp = zdtm("symlink01");
  if (!cp) return;
  const { root, dir } = rootFor("symlink01");
  Deno.mkdirSync(join(dir, "symlink01.test"));
  const t = testContext(cp, root);
  try {
    const fd = regOpener.open(t.ctx, reg(cp, 6)) as number;
    t.staged.set(reg(cp, 6), fd);
    assert.equal(
      Deno.readLinkSync(`/proc/self/fd/${fd}`),
      `${dir}/symlink01.test/test_symlink (deleted)`,
    );
    assert.equal(fstat(fd).mode & S_IF.MT, S_IF.LNK);
    assert.equal(getFlags(fd) & (O.PATH | O.NOFOLLOW), O.PATH | O.NOFOLLOW);
    assert.deepEqual(listing(join(dir, "symlink01.test")), []);
  } finally {
    t.dispose();
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("two fds of one deleted FIFO share one new FIFO that keeps the dumped bytes and no name", () => {
  if (!haveRoot("FIFO ghosts (owners as dumped)")) return;
  const cp = zdtm("unlink_fifo_wronly");
  if (!cp) return;
  const { root, dir } = rootFor("unlink_fifo_wronly");
  const t = testContext(cp, root);
  try {
    const fifos = [...cp.files.values()].filter((f) => f.type === FD_TYPE.FIFO);
    assert.equal(fifos.length, 2);
    const fds = fifos.map((f) => {
      const fd = fifoOpener.open(t.ctx, f) as number;
      t.staged.set(f, fd);
      return fd;
    });
    const [a, b] = fds.map((fd) => fstat(fd));
    assert.equal(a.ino, b.ino);
    assert.equal(a.mode, S_IF.FIFO | 0o600);
    for (const fd of fds) {
      assert.equal(
        Deno.readLinkSync(`/proc/self/fd/${fd}`),
        `${dir}/unlink_fifo_wronly.test (deleted)`,
      );
    }
    assert.deepEqual(listing(dir), []);
  } finally {
    t.dispose();
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("a dry run of folder, device, symlink and FIFO ghosts makes no name and no folder", () => {
  for (
    const [name, id, type] of [
      ["rmdir_open", 6, FD_TYPE.REG],
      ["deleted_dev", 6, FD_TYPE.REG],
      ["symlink01", 6, FD_TYPE.REG],
      ["fifo-ghost", 6, FD_TYPE.FIFO],
    ] as const
  ) {
    const cp = zdtm(name);
    if (!cp) return;
    const { root, dir } = rootFor(name);
    if (name === "symlink01") Deno.mkdirSync(join(dir, "symlink01.test"));
    const t = testContext(cp, root);
    try {
      const file = cp.files.get(fileKey(type, id))!;
      const opener = type === FD_TYPE.FIFO ? fifoOpener : regOpener;
      const fd = opener.open({ ...t.ctx, dryRun: true }, file) as number;
      t.staged.set(file, fd);
      assert.deepEqual(listing(dir), name === "symlink01" ? ["symlink01.test"] : [], name);
      if (name === "symlink01") assert.deepEqual(listing(join(dir, "symlink01.test")), []);
    } finally {
      t.dispose();
      Deno.removeSync(root, { recursive: true });
    }
  }
});

Deno.test("an inotify watch stored without a path goes on the ghost that was its inode", () => {
  if (!haveRoot("inotify ghost watches (owners as dumped)")) return;
  const cp = zdtm("inotify00");
  if (!cp) return;
  const { root, dir } = rootFor("inotify00");
  Deno.mkdirSync(join(dir, "inotify00.test"));
  const t = testContext(cp, root);
  try {
    const ify = cp.files.get(fileKey(FD_TYPE.INOTIFY, 6))!;
    const fd = inotifyOpener.open(t.ctx, ify) as number;
    t.staged.set(ify, fd);
    const ghost = regOpener.open(t.ctx, reg(cp, 7)) as number;
    t.staged.set(reg(cp, 7), ghost);
    const watches = fdinfo(fd).split("\n").filter((l) => l.startsWith("inotify"));
    const inoOf = (wd: number) =>
      parseInt(watches.find((l) => l.includes(`wd:${wd} `))!.match(/ ino:([0-9a-f]+)/)![1], 16);
    assert.equal(watches.length, 2);
    assert.equal(inoOf(1), Deno.statSync(join(dir, "inotify00.test")).ino);
    assert.equal(inoOf(2), Number(fstat(ghost).ino)); // the deleted inotify-removed, made again
    assert.equal(
      Deno.readLinkSync(`/proc/self/fd/${ghost}`),
      `${dir}/inotify00.test/inotify-removed (deleted)`,
    );
  } finally {
    t.dispose();
    Deno.removeSync(root, { recursive: true });
  }
});
