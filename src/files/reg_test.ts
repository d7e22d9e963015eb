import assert from "node:assert/strict";
import { FD_TYPE, fileOf } from "../model/mod.ts";
import { close, getFlags, mkfifo, O, readlink } from "../sys/mod.ts";
import { openFds } from "../sys/_testing.ts";
import { regOpener } from "./reg.ts";
import { RestoreError } from "../restore_error.ts";
import { oneTask, testContext } from "./_test_utils.ts";

const S_IFREG = 0o100000;

/** Opens the REG file `name` (dumped as a 0644 regular file) under `root`. */
function openAs(root: string, name: string, flags: number = O.RDONLY): number {
  const cp = oneTask([{
    id: 1,
    type: FD_TYPE.REG,
    payload: { id: 1, name, flags, pos: 0n, mode: S_IFREG | 0o644 },
    fds: [3],
  }]);
  const t = testContext(cp, root);
  try {
    return regOpener.open(t.ctx, fileOf(cp, FD_TYPE.REG, 1)!) as number;
  } finally {
    t.dispose();
  }
}

function withRoot(fn: (root: string, outside: string) => void): void {
  const base = Deno.makeTempDirSync({ prefix: "fdrestore-reg-" });
  const root = `${base}/root`;
  Deno.mkdirSync(root);
  Deno.writeTextFileSync(`${base}/outside`, "secret");
  Deno.chmodSync(`${base}/outside`, 0o644);
  const before = openFds();
  try {
    fn(root, `${base}/outside`);
    assert.deepEqual(openFds(), before, "fds leaked");
  } finally {
    Deno.removeSync(base, { recursive: true });
  }
}

Deno.test("a REG path from the image cannot leave --root by .., symlinks or a symlinked folder", () => {
  withRoot((root, outside) => {
    Deno.symlinkSync(outside, `${root}/abs`);
    Deno.symlinkSync("/", `${root}/up`);
    for (const name of ["../outside", "/../outside", "abs", `up${outside}`]) {
      assert.throws(() => openAs(root, name), /ENOENT/, name);
    }
  });
});

Deno.test("O_CREAT and O_TRUNC in a hostile image neither create nor truncate", () => {
  withRoot((root) => {
    Deno.writeTextFileSync(`${root}/kept`, "content");
    Deno.chmodSync(`${root}/kept`, 0o644);
    const fd = openAs(root, "kept", O.RDWR | O.TRUNC | O.CREAT);
    close(fd);
    assert.equal(Deno.readTextFileSync(`${root}/kept`), "content");
    assert.throws(() => openAs(root, "new", O.RDWR | O.CREAT), /ENOENT/);
    assert.throws(() => Deno.statSync(`${root}/new`), Deno.errors.NotFound);
  });
});

Deno.test("a file dumped as regular that is now a FIFO or a device is refused without opening it", () => {
  withRoot((root) => {
    mkfifo(`${root}/was-file`, 0o644);
    // Opening a FIFO for reading would block this test forever.
    assert.throws(
      () => openAs(root, "was-file"),
      (e) =>
        e instanceof RestoreError &&
        e.message === "File was-file has bad mode 010644 (expect 0100644)",
    );
    Deno.symlinkSync("/dev/null", `${root}/dev-now`); // inside the root: ENOENT
    assert.throws(() => openAs(root, "dev-now"), /ENOENT/);
    assert.throws(() => openAs("/", "/dev/null"), /bad mode 020666 \(expect 0100644\)/);
  });
});

Deno.test("a file opened with O_NOFOLLOW comes back with O_NOFOLLOW and without O_NONBLOCK", () => {
  withRoot((root) => {
    Deno.writeTextFileSync(`${root}/db`, "content");
    Deno.chmodSync(`${root}/db`, 0o644);
    const fd = openAs(root, "/db", O.RDWR | O.NOFOLLOW | O.LARGEFILE);
    try {
      const fl = getFlags(fd);
      assert.equal(fl & (O.NOFOLLOW | O.NONBLOCK | O.ACCMODE), O.NOFOLLOW | O.RDWR);
      assert.equal(readlink(`/proc/self/fd/${fd}`), `${Deno.realPathSync(root)}/db`);
    } finally {
      close(fd);
    }
    const nb = openAs(root, "/db", O.RDONLY | O.NOFOLLOW | O.NONBLOCK);
    assert.equal(getFlags(nb) & (O.NOFOLLOW | O.NONBLOCK), O.NOFOLLOW | O.NONBLOCK);
    close(nb);
  });
});

Deno.test("with O_NOFOLLOW a FIFO, a symlink or a device at the name is refused without opening it", () => {
  withRoot((root) => {
    mkfifo(`${root}/fifo`, 0o644);
    assert.throws(() => openAs(root, "/fifo", O.RDONLY | O.NOFOLLOW), /bad mode 010644/);
    Deno.writeTextFileSync(`${root}/target`, "x");
    Deno.symlinkSync("target", `${root}/link`);
    assert.throws(() => openAs(root, "/link", O.RDONLY | O.NOFOLLOW), /bad mode 0120777/);
    assert.throws(() => openAs("/", "/dev/null", O.RDWR | O.NOFOLLOW), /bad mode 020666/);
  });
});
