import assert from "node:assert/strict";
import { join } from "node:path";
import { haveCorpus, imagesOf } from "../../tests/support/corpus.ts";
import { haveRoot } from "../../tests/support/root.ts";
import { FD_TYPE, fileOf, loadCheckpoint } from "../model/mod.ts";
import { close, fstat, getFlags, lseek, O, SEEK } from "../sys/mod.ts";
import { readEntries } from "../image/mod.ts";
import { encodeImage } from "../../tests/support/image_writer.ts";
import { regOpener } from "./reg.ts";
import { testContext } from "./_test_utils.ts";

const DIR = "/tmp/criu-corpus/ghost-file";

interface TruthFd {
  fd: number;
  path: string;
  pos: number;
  size: number;
  file_mode: string;
  sha256: string;
}

function truth(): Map<number, TruthFd> {
  const t = JSON.parse(Deno.readTextFileSync(join(imagesOf("ghost-file"), "..", "truth.json")));
  const fds = Object.values(t.tasks as Record<string, { fds: TruthFd[] }>)[0].fds;
  return new Map(fds.map((f) => [f.fd, f]));
}

async function sha256(fd: number): Promise<string> {
  const bytes = Deno.readFileSync(`/proc/self/fd/${fd}`);
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...d].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A root holding the folders of the ghost-file scenario (without the deleted files). */
function makeRoot(): string {
  const root = Deno.makeTempDirSync();
  Deno.mkdirSync(join(root, DIR, "sub"), { recursive: true });
  return root;
}

/** A root as makeRoot, plus `link_remap.11` (128 bytes of "A", 0644) and, with `hardB`, its hard link. */
function rootWithLinkRemap(hardB = true): { root: string; link: string } {
  const root = makeRoot();
  const link = join(root, DIR, "link_remap.11");
  Deno.writeFileSync(link, new Uint8Array(128).fill(65));
  Deno.chmodSync(link, 0o644);
  if (hardB) Deno.linkSync(link, join(root, DIR, "hard-b.txt"));
  return { root, link };
}

function listing(root: string, sub = ""): string[] {
  return [...Deno.readDirSync(join(root, DIR, sub))].map((e) => e.name).sort();
}

Deno.test("ghost files come back deleted, with their content, mode, offset and sharing", async () => {
  if (!haveCorpus("ghost files")) return;
  if (!haveRoot("ghost files (the corpus ghosts are root's)")) return;
  const cp = loadCheckpoint(imagesOf("ghost-file"), { args: false });
  const root = makeRoot();
  const t = testContext(cp, root);
  const want = truth();
  const opened = new Map<number, number>(); // task fd -> our fd
  try {
    // fd 3 and 4 are two files (ids 4, 5) of one ghost; 7 is in sub/; 8 was O_TMPFILE;
    // 9 is a 200000-byte ghost stored in chunks.
    for (const [taskFd, id] of [[3, 4], [4, 5], [7, 7], [8, 8], [9, 9]]) {
      const file = fileOf(cp, FD_TYPE.REG, id)!;
      opened.set(taskFd, regOpener.open(t.ctx, file) as number);
    }
    for (const [taskFd, fd] of opened) {
      const w = want.get(taskFd)!;
      assert.equal(Deno.readLinkSync(`/proc/self/fd/${fd}`), `${root}${w.path} (deleted)`);
      assert.equal(getFlags(fd) & ~O.ACCMODE, O.LARGEFILE, `status flags of fd ${taskFd}`);
      assert.equal(await sha256(fd), w.sha256, `content of fd ${taskFd}`);
      assert.equal(lseek(fd, 0n, SEEK.CUR), BigInt(w.pos));
      assert.equal((fstat(fd).mode & 0o7777).toString(8).padStart(4, "0"), w.file_mode);
      assert.equal(Deno.statSync(`/proc/self/fd/${fd}`).nlink, 0);
    }
    assert.equal(fstat(opened.get(3)!).ino, fstat(opened.get(4)!).ino); // one inode
    assert.deepEqual(listing(root), ["sub"]); // no name left behind
    assert.deepEqual(listing(root, "sub"), []);
    assert.match(
      t.lines.join(""),
      /Opening ghost file 0x1 for \/tmp\/criu-corpus\/ghost-file\/ghost\.txt/,
    );
  } finally {
    for (const fd of opened.values()) close(fd);
    t.dispose();
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("a linked remap is opened under its old name; link_remap.N goes once restored", () => {
  if (!haveCorpus("linked remap")) return;
  const cp = loadCheckpoint(imagesOf("ghost-file"), { args: false });
  const { root } = rootWithLinkRemap();
  const t = testContext(cp, root);
  let fd: number | undefined;
  try {
    fd = regOpener.open(t.ctx, fileOf(cp, FD_TYPE.REG, 10)!) as number;
    assert.equal(Deno.readLinkSync(`/proc/self/fd/${fd}`), `${root}${DIR}/hard-a.txt (deleted)`);
    assert.equal(lseek(fd, 0n, SEEK.CUR), 3n);
    assert.deepEqual(listing(root), ["hard-b.txt", "link_remap.11", "sub"]);
    t.started();
    assert.deepEqual(listing(root), ["hard-b.txt", "sub"]);
    assert.equal(Deno.statSync(`/proc/self/fd/${fd}`).nlink, 1); // as in truth.json
  } finally {
    if (fd !== undefined) close(fd);
    t.dispose();
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("a ghost whose name is taken comes back as NAME.cr_link, never over the file; a missing folder fails", () => {
  if (!haveCorpus("ghost conflicts")) return;
  if (!haveRoot("ghost conflicts (the corpus ghosts are root's)")) return;
  const cp = loadCheckpoint(imagesOf("ghost-file"), { args: false });
  for (const taken of [["ghost.txt"], ["ghost.txt", "ghost.txt.cr_link"]]) {
    const root = makeRoot();
    const t = testContext(cp, root);
    try {
      for (const name of taken) Deno.writeTextFileSync(join(root, DIR, name), `mine ${name}`);
      const open = (id: number) => {
        const fd = regOpener.open(t.ctx, fileOf(cp, FD_TYPE.REG, id)!) as number;
        t.staged.set(fileOf(cp, FD_TYPE.REG, id)!, fd);
        return fd;
      };
      if (taken.length === 2) {
        assert.throws(() => open(4), {
          message: /^Can't link .*ghost\.txt\.cr_link \(a file of that name exists now\): linkat/,
        });
      } else {
        // Two descriptions of the one ghost.txt: the name goes once both are open.
        for (const fd of [open(4), open(5)]) {
          assert.equal(
            Deno.readLinkSync(`/proc/self/fd/${fd}`),
            `${root}${DIR}/ghost.txt.cr_link (deleted)`,
          );
        }
      }
      for (const name of taken) {
        assert.equal(Deno.readTextFileSync(join(root, DIR, name)), `mine ${name}`);
      }
      assert.deepEqual(listing(root), [...taken, "sub"]);
      Deno.removeSync(join(root, DIR, "sub"));
      assert.throws(() => open(7), {
        message: /^Can't create ghost file .*\/sub\/inner\.bin \(its folder is gone\)/,
      });
    } finally {
      t.dispose();
      Deno.removeSync(root, { recursive: true });
    }
  }
});

Deno.test("a procfs remap is refused by name", () => {
  if (!haveCorpus("procfs remap")) return;
  const cp = loadCheckpoint(imagesOf("ghost-file"), { args: false });
  cp.remaps.set(6, { orig_id: 6, remap_id: 6, remap_type: 2 });
  const t = testContext(cp);
  try {
    assert.throws(() => regOpener.open(t.ctx, fileOf(cp, FD_TYPE.REG, 6)!), {
      message: "File /tmp/criu-corpus/ghost-file/after-rename.txt (id 0x6) is a /proc entry " +
        "of a dead task (procfs remap 0x6); fdrestore cannot restore it",
    });
  } finally {
    t.dispose();
  }
});

/** The ghost-file images, copied, with files.img re-encoded giving file `id` the flags `flags`. */
function withFlags(id: number, flags: number): string {
  return withReg(id, { flags });
}

/** The ghost-file images, copied, with the REG entry `id` changed by `change`. */
function withReg(id: number, change: Record<string, unknown>): string {
  const dir = Deno.makeTempDirSync({ prefix: "fdrestore-remap-img-" });
  for (const e of Deno.readDirSync(imagesOf("ghost-file"))) {
    Deno.copyFileSync(join(imagesOf("ghost-file"), e.name), join(dir, e.name));
    Deno.chmodSync(join(dir, e.name), 0o644); // the corpus's copies are read-only
  }
  const files = readEntries(dir, "files").map((f): Record<string, unknown> =>
    Number(f.id) === id ? { ...f, reg: { ...f.reg!, ...change } } : { ...f }
  );
  Deno.writeFileSync(join(dir, "files.img"), encodeImage("FILES", files));
  return dir;
}

Deno.test("O_TRUNC in an image never truncates the other name of a link-remapped file (issue 12)", () => {
  if (!haveCorpus("remap O_TRUNC")) return;
  const images = withFlags(10, O.RDWR | O.TRUNC | O.LARGEFILE);
  const cp = loadCheckpoint(images, { args: false });
  const { root } = rootWithLinkRemap();
  const t = testContext(cp, root);
  try {
    const fd = regOpener.open(t.ctx, fileOf(cp, FD_TYPE.REG, 10)!) as number;
    close(fd);
    assert.deepEqual(
      Deno.readFileSync(join(root, DIR, "hard-b.txt")),
      new Uint8Array(128).fill(65),
    );
  } finally {
    t.dispose();
    Deno.removeSync(root, { recursive: true });
    Deno.removeSync(images, { recursive: true });
  }
});

Deno.test("O_TRUNC|O_CREAT|O_EXCL in an image never empty a ghost file's content", async () => {
  if (!haveCorpus("ghost O_TRUNC")) return;
  if (!haveRoot("ghost O_TRUNC (the corpus ghosts are root's)")) return;
  const images = withFlags(4, O.RDWR | O.TRUNC | O.CREAT | O.EXCL);
  const cp = loadCheckpoint(images, { args: false });
  const root = makeRoot();
  const t = testContext(cp, root);
  try {
    const fd = regOpener.open(t.ctx, fileOf(cp, FD_TYPE.REG, 4)!) as number;
    try {
      assert.equal(await sha256(fd), truth().get(3)!.sha256);
    } finally {
      close(fd);
    }
  } finally {
    t.dispose();
    Deno.removeSync(root, { recursive: true });
    Deno.removeSync(images, { recursive: true });
  }
});

Deno.test("a link remap that is not named link_remap.N is refused: the file it names stays", () => {
  if (!haveCorpus("link remap name")) return;
  // The attack of issue 16: a link remap entry naming any file makes it linked, opened, unlinked.
  const images = withReg(11, { name: `${DIR}/victim` });
  const cp = loadCheckpoint(images, { args: false });
  const root = makeRoot();
  const victim = join(root, DIR, "victim");
  Deno.writeFileSync(victim, new Uint8Array(128).fill(65));
  Deno.chmodSync(victim, 0o644);
  const t = testContext(cp, root);
  try {
    assert.throws(() => regOpener.open(t.ctx, fileOf(cp, FD_TYPE.REG, 10)!), {
      message: `File ${DIR}/hard-a.txt: its link remap ${DIR}/victim is not named link_remap.N; ` +
        "refused",
    });
    t.started();
    assert.deepEqual(listing(root), ["sub", "victim"]);
  } finally {
    t.dispose();
    Deno.removeSync(root, { recursive: true });
    Deno.removeSync(images, { recursive: true });
  }
});

Deno.test("link_remap.N replaced by another file before the start is not removed", () => {
  if (!haveCorpus("link remap replaced")) return;
  const cp = loadCheckpoint(imagesOf("ghost-file"), { args: false });
  const { root, link } = rootWithLinkRemap(false);
  const t = testContext(cp, root);
  let fd: number | undefined;
  try {
    // The restored file stays open (as in a started task): its inode number is not reused.
    fd = regOpener.open(t.ctx, fileOf(cp, FD_TYPE.REG, 10)!) as number;
    Deno.removeSync(link);
    Deno.writeTextFileSync(link, "someone else's");
    t.started();
    assert.equal(Deno.readTextFileSync(link), "someone else's");
  } finally {
    if (fd !== undefined) close(fd);
    t.dispose();
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("a dry run and an untrusted image make no name for ghosts and link remaps", async () => {
  if (!haveCorpus("dry-run remaps")) return;
  if (!haveRoot("dry-run remaps (the corpus ghosts are root's)")) return;
  const cp = loadCheckpoint(imagesOf("ghost-file"), { args: false });
  for (const mode of ["dryRun", "untrusted"] as const) {
    const { root } = rootWithLinkRemap(false);
    const t = testContext(cp, root);
    const ctx = { ...t.ctx, [mode]: true };
    // The ghost's dumped mode with set-uid, from the image: an untrusted one gets none.
    const seen: string[] = [];
    const watcher = Deno.watchFs(join(root, DIR));
    const watching = (async () => {
      for await (const ev of watcher) {
        // An O_TMPFILE inode has no name; inotify reports it as "#INO".
        const named = ev.paths.filter((p) => !/\/#\d+$/.test(p));
        if (ev.kind === "create" || ev.kind === "remove") seen.push(...named);
      }
    })();
    const fds: number[] = [];
    try {
      for (const id of [4, 10]) {
        fds.push(regOpener.open(ctx, fileOf(cp, FD_TYPE.REG, id)!) as number);
      }
      t.started();
      assert.equal(await sha256(fds[0]), truth().get(3)!.sha256, mode);
      assert.match(Deno.readLinkSync(`/proc/self/fd/${fds[0]}`), /\/#\d+ \(deleted\)$/, mode);
      await new Promise((r) => setTimeout(r, 50));
      if (mode === "dryRun") assert.deepEqual(seen, [], `a name appeared: ${seen}`);
      assert.deepEqual(listing(root), ["link_remap.11", "sub"], mode);
    } finally {
      watcher.close();
      await watching;
      fds.forEach(close);
      t.dispose();
      Deno.removeSync(root, { recursive: true });
    }
  }
});
