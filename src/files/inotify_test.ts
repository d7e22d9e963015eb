import assert from "node:assert/strict";
import { join } from "node:path";
import { FD_TYPE } from "../model/mod.ts";
import { close, getFlags, O } from "../sys/mod.ts";
import { inotifyOpener, inotifyWatches } from "./inotify.ts";
import { AGAIN } from "./opener.ts";
import { RestoreError } from "../restore_error.ts";
import { fdinfo, firstFile, oneTask, testContext } from "./_test_utils.ts";

/** `[wd, mask hex, inode]` of each watch, from fdinfo. */
function watchesOf(fd: number): [number, string, bigint][] {
  const re = /^inotify wd:(\d+) ino:([0-9a-f]+) .*? mask:([0-9a-f]+) /gm;
  return [...fdinfo(fd).matchAll(re)]
    .map((m): [number, string, bigint] => [Number(m[1]), m[3], BigInt("0x" + m[2])])
    .sort((a, b) => a[0] - b[0]);
}

function openInotify(root: string, wd: Record<string, unknown>[]) {
  const cp = oneTask([{ id: 12, type: FD_TYPE.INOTIFY, payload: { id: 12, flags: 0o4000, wd } }]);
  const t = testContext(cp, root);
  try {
    return inotifyOpener.open(t.ctx, firstFile(cp, FD_TYPE.INOTIFY));
  } finally {
    t.dispose();
  }
}

const WD = { id: 1, ignored_mask: 0 };
const FH = { bytes: 0, type: 0 };

Deno.test("inotifyWatches sorts the watches by wd and keeps their paths", () => {
  const wd = [
    { ...WD, wd: 2, mask: 0x28, f_handle: { ...FH, path: "/a/b" }, s_dev: 0xfe00000, i_ino: 12n },
    { ...WD, wd: 1, mask: 0x302, f_handle: { ...FH, path: "/a" }, s_dev: 0xfe00000, i_ino: 11n },
  ];
  assert.deepEqual(inotifyWatches({ wd }), [
    { wd: 1, mask: 0x302, path: "/a", dev: 0xfe00000, ino: 11n },
    { wd: 2, mask: 0x28, path: "/a/b", dev: 0xfe00000, ino: 12n },
  ]);
});

Deno.test("an inotify gets its watches back with their wd numbers, gaps included", () => {
  const root = Deno.makeTempDirSync();
  Deno.mkdirSync(join(root, "task"));
  Deno.writeTextFileSync(join(root, "task/watched.txt"), "x");
  try {
    // As in misc-fds (image order wd 2, wd 1), plus a wd after a gap.
    const fd = openInotify(root, [
      { wd: 2, mask: 0x28, f_handle: { path: "/task/watched.txt" } },
      { wd: 1, mask: 0x302, f_handle: { path: "/task" } },
      { wd: 5, mask: 0x80000100, f_handle: { path: "/" } }, // IN_ONESHOT is not restored
    ]);
    assert.notEqual(fd, AGAIN);
    try {
      const ino = (p: string) => BigInt(Deno.statSync(join(root, p)).ino!);
      assert.deepEqual(watchesOf(fd as number), [
        [1, "302", ino("task")],
        [2, "28", ino("task/watched.txt")],
        [5, "100", ino("")],
      ]);
      assert.equal(getFlags(fd as number) & (O.NONBLOCK | O.ACCMODE), O.NONBLOCK | O.RDONLY);
    } finally {
      close(fd as number);
    }
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("an inotify watch whose path is gone or absent is refused", () => {
  const root = Deno.makeTempDirSync();
  try {
    assert.throws(() => openInotify(root, [{ wd: 1, mask: 2, f_handle: { path: "/gone" } }]), {
      message: /\(.*\/gone\): ENOENT/,
    });
    assert.throws(() => openInotify(root, [{ wd: 1, mask: 2, f_handle: { bytes: 8 } }]), (e) => {
      assert.ok(e instanceof RestoreError);
      assert.match(e.message, /^inotify id 0xc: watch 1 has no path in the image/);
      return true;
    });
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
