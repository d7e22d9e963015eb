import assert from "node:assert/strict";
import { join } from "node:path";
import { existsSync } from "node:fs";
import { haveRoot } from "../../tests/support/root.ts";
import { ZDTM_CORPUS } from "../../tests/support/zdtm.ts";
import { type Checkpoint, FD_TYPE, fileKey, fileOf, loadCheckpoint } from "../model/mod.ts";
import { fstat, getFlags, O, S_IF, setFaultInjector } from "../sys/mod.ts";
import { regOpener } from "./reg.ts";
import { fifoOpener } from "./fifo.ts";
import { inotifyOpener } from "./inotify.ts";
import { fdinfo, type TestContext, testContext } from "./_test_utils.ts";

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

/**
 * Runs `fn` on scenario `name` in a fresh root holding its folder and `subs`
 * in it, and a test context; both go afterwards. Skips without the corpus.
 */
function inScenario(
  name: string,
  subs: string[],
  fn: (s: { t: TestContext; cp: Checkpoint; dir: string }) => void,
): void {
  const cp = zdtm(name);
  if (!cp) return;
  const { root, dir } = rootFor(name);
  for (const sub of subs) Deno.mkdirSync(join(dir, sub));
  const t = testContext(cp, root);
  try {
    fn({ t, cp, dir });
  } finally {
    t.dispose();
    Deno.removeSync(root, { recursive: true });
  }
}

/** Opens file `id` of `type` (REG by default) as the scheduler would, staging its fd. */
function openFile(t: TestContext, id: number, type: number = FD_TYPE.REG, ctx = t.ctx): number {
  const file = t.ctx.cp.files.get(fileKey(type, id))!;
  const fd =
    (file.type === FD_TYPE.FIFO
      ? fifoOpener.open(ctx, file)
      : file.type === FD_TYPE.INOTIFY
      ? inotifyOpener.open(ctx, file)
      : regOpener.open(ctx, fileOf(t.ctx.cp, FD_TYPE.REG, id)!)) as number;
  t.staged.set(file, fd);
  return fd;
}

Deno.test("a deleted folder whose folder was deleted too comes back deleted; the folders made for it go", () => {
  if (!haveRoot("folder ghosts (mode 0 folders, owners as dumped)")) return;
  inScenario("rmdir_open", [], ({ t, dir }) => {
    // --untrusted names no ghost: a folder one is refused before anything is made.
    assert.throws(() => openFile(t, 6, FD_TYPE.REG, { ...t.ctx, untrusted: true }), {
      message: /has mode 040700: --untrusted names no ghost$/,
    });
    assert.deepEqual(listing(dir), []);
    const fd = openFile(t, 6);
    // As at dump time (truth.json): the path under the deleted folder, 0700.
    assert.equal(
      Deno.readLinkSync(`/proc/self/fd/${fd}`),
      `${dir}/rmdir_open.test/subdir (deleted)`,
    );
    assert.equal(fstat(fd).mode, 0o40700);
    assert.equal(getFlags(fd), O.RDONLY | O.LARGEFILE); // the kernel keeps no O_DIRECTORY (truth.json)
    assert.deepEqual(listing(dir), []); // neither rmdir_open.test nor subdir remains
    assert.match(t.lines.join(""), /Making ghost 040700 for .*rmdir_open\.test\/subdir/);
  });
});

Deno.test("a deleted device node comes back deleted with its number and mode; --untrusted makes none", () => {
  if (!haveRoot("device ghosts (mknod needs CAP_MKNOD)")) return;
  inScenario("deleted_dev", [], ({ t, dir }) => {
    // The attack: an image from elsewhere names any device (a disk, /dev/mem) with any mode, and
    // the restored program would get it open read-write. Under --untrusted nothing is made.
    assert.throws(() => openFile(t, 6, FD_TYPE.REG, { ...t.ctx, untrusted: true }), {
      message:
        /^Ghost ghost-file-1\.img for .*deleted_dev\.test has mode 020700: a device node; --untrusted makes none$/,
    });
    assert.deepEqual(listing(dir), []);
    // While the node has a name, nobody but root may open it: looked at before each call by name.
    const named: number[] = [];
    setFaultInjector((call, args) => {
      if (call === "openat" && args.includes("deleted_dev.test")) {
        named.push(Deno.lstatSync(join(dir, "deleted_dev.test")).mode!);
      }
      return undefined;
    });
    let fd: number;
    try {
      fd = openFile(t, 6);
    } finally {
      setFaultInjector(null);
    }
    assert.deepEqual([...new Set(named)], [S_IF.CHR]); // mode 0 at every look by name
    assert.equal(Deno.readLinkSync(`/proc/self/fd/${fd}`), `${dir}/deleted_dev.test (deleted)`);
    const st = Deno.statSync(`/proc/self/fd/${fd}`);
    assert.equal(st.mode! & 0o177777, S_IF.CHR | 0o700);
    assert.equal(st.rdev, 0x103); // 1:3, /dev/null, as dumped
    assert.equal(getFlags(fd) & O.ACCMODE, O.RDWR);
    assert.deepEqual(listing(dir), []);
  });
});

Deno.test("a deleted symlink opened O_PATH|O_NOFOLLOW comes back as that symlink, deleted", () => {
  if (!haveRoot("symlink ghosts (owners as dumped)")) return;
  inScenario("symlink01", ["symlink01.test"], ({ t, dir }) => {
    const fd = openFile(t, 6);
    assert.equal(
      Deno.readLinkSync(`/proc/self/fd/${fd}`),
      `${dir}/symlink01.test/test_symlink (deleted)`,
    );
    assert.equal(fstat(fd).mode & S_IF.MT, S_IF.LNK);
    assert.equal(getFlags(fd) & (O.PATH | O.NOFOLLOW), O.PATH | O.NOFOLLOW);
    assert.deepEqual(listing(join(dir, "symlink01.test")), []);
  });
});

Deno.test("two fds of one deleted FIFO share one new FIFO that has no name", () => {
  if (!haveRoot("FIFO ghosts (owners as dumped)")) return;
  inScenario("unlink_fifo_wronly", [], ({ t, cp, dir }) => {
    const ids = [...cp.files.values()].filter((f) => f.type === FD_TYPE.FIFO).map((f) => f.id);
    assert.equal(ids.length, 2);
    const fds = ids.map((id) => openFile(t, id, FD_TYPE.FIFO));
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
  });
});

Deno.test("a dry run of folder, device, symlink and FIFO ghosts makes no name and no folder", () => {
  for (
    const [name, id, type, subs] of [
      ["rmdir_open", 6, FD_TYPE.REG, []],
      ["deleted_dev", 6, FD_TYPE.REG, []],
      ["symlink01", 6, FD_TYPE.REG, ["symlink01.test"]],
      ["fifo-ghost", 6, FD_TYPE.FIFO, []],
    ] as const
  ) {
    inScenario(name, [...subs], ({ t, dir }) => {
      openFile(t, id, type, { ...t.ctx, dryRun: true });
      assert.deepEqual(listing(dir), [...subs], name);
      for (const sub of subs) assert.deepEqual(listing(join(dir, sub)), []);
    });
  }
});

Deno.test("an inotify watch stored without a path goes on the ghost that was its inode", () => {
  if (!haveRoot("inotify ghost watches (owners as dumped)")) return;
  inScenario("inotify00", ["inotify00.test"], ({ t, dir }) => {
    const fd = openFile(t, 6, FD_TYPE.INOTIFY);
    const ghost = openFile(t, 7);
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
  });
});
