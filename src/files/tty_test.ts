import assert from "node:assert/strict";
import { FD_TYPE, fileOf } from "../model/mod.ts";
import { getFlags, getTermios, O, read, readlink, setFlags, write } from "../sys/mod.ts";
import { ttyOpener } from "./tty.ts";
import { AGAIN } from "./opener.ts";
import { oneTask, testContext, ttyInfo } from "./_test_utils.ts";

const SLAVE_RDEV = 136 << 8; // /dev/pts/0: major 136
const PTMX_RDEV = (5 << 8) | 2;
const TERMIOS = {
  c_iflag: 0,
  c_oflag: 0,
  c_cflag: 0o277,
  c_lflag: 0,
  c_line: 0,
  c_ispeed: 0,
  c_ospeed: 0,
  c_cc: [],
};

/** TTY file `id` with its REG entry (`id + 100`, the path) and fds. */
function tty(id: number, infoId: number, path: string, flags: number, fds: number[]) {
  return [
    { id, type: FD_TYPE.TTY, payload: { id, tty_info_id: infoId, regf_id: id + 100, flags }, fds },
    { id: id + 100, type: FD_TYPE.REG, payload: { id: id + 100, name: path, flags } },
  ];
}

Deno.test("slaves of a hung-up pty come back hung up, each its own description, with O_LARGEFILE", () => {
  // pty04: the master was closed before the dump; the dump has no termios.
  const cp = oneTask([
    ...tty(1, 0, "/dev/pts/0", O.RDWR, [5]),
    ...tty(2, 0, "/dev/pts/0", O.RDWR, [6]),
  ]);
  cp.ttyInfo.set(0, ttyInfo({ id: 0, type: 1, rdev: SLAVE_RDEV, pty: { index: 0 } }));
  const t = testContext(cp);
  try {
    const first = fileOf(cp, FD_TYPE.TTY, 1)!;
    const second = fileOf(cp, FD_TYPE.TTY, 2)!;
    const fd = ttyOpener.open(t.ctx, first) as number;
    t.staged.set(first, fd);
    const other = t.staged.get(second)!;
    assert.notEqual(other, undefined, "the second slave was opened with the first");
    for (const s of [fd, other]) {
      assert.match(readlink(`/proc/self/fd/${s}`), /^\/dev\/pts\/\d+/);
      assert.equal(getFlags(s) & (O.ACCMODE | O.LARGEFILE), O.RDWR | O.LARGEFILE);
      // Hung up: no termios, reads see end of file at once, writes fail.
      assert.throws(() => getTermios(s), /EIO/);
      assert.equal(read(s, new Uint8Array(8)), 0);
      assert.throws(() => write(s, new Uint8Array([1])), /EIO/);
    }
    setFlagsDiffer(fd, other);
    assert.match(t.lines.join("\n"), /pty 0 was hung up: 2 slave\(s\) opened on a fake master/);
  } finally {
    t.dispose();
  }
});

/** Two descriptions: a status flag set on one does not show on the other. */
function setFlagsDiffer(a: number, b: number): void {
  setFlags(a, getFlags(a) | O.NONBLOCK);
  assert.equal(getFlags(b) & O.NONBLOCK, 0);
}

Deno.test("a slave dumped without O_LARGEFILE (glibc openpty) gets it, as criu's open() of /dev/pts/N", () => {
  const cp = oneTask([
    ...tty(1, 1, "/dev/ptmx", O.RDWR, [3]),
    ...tty(2, 0, "/dev/pts/0", O.RDWR, [4]),
  ]);
  cp.ttyInfo.set(
    1,
    ttyInfo({ id: 1, type: 1, rdev: PTMX_RDEV, pty: { index: 0 }, termios: TERMIOS }),
  );
  cp.ttyInfo.set(
    0,
    ttyInfo({ id: 0, type: 1, rdev: SLAVE_RDEV, pty: { index: 0 }, termios: TERMIOS }),
  );
  const t = testContext(cp);
  try {
    const master = fileOf(cp, FD_TYPE.TTY, 1)!;
    const slave = fileOf(cp, FD_TYPE.TTY, 2)!;
    assert.equal(ttyOpener.open(t.ctx, slave), AGAIN);
    t.staged.set(master, ttyOpener.open(t.ctx, master) as number);
    const s = t.staged.get(slave)!;
    assert.equal(getFlags(s) & (O.ACCMODE | O.LARGEFILE), O.RDWR | O.LARGEFILE);
  } finally {
    t.dispose();
  }
});
