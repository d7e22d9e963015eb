import assert from "node:assert/strict";
import { join } from "node:path";
import { FD_TYPE, fileOf } from "../model/mod.ts";
import { close, mkfifo, O, read, SOCK, write } from "../sys/mod.ts";
import { unixSocketOpener } from "./unix_socket.ts";
import { oneTask, testContext } from "./_test_utils.ts";

const enc = new TextEncoder();

/** A dgram socket bound to `path` whose name was deleted, and one connected to it. */
function deletedPair(path: string) {
  const sk = (id: number, ino: number, extra: Record<string, unknown>) => ({
    id,
    type: FD_TYPE.UNIXSK,
    payload: {
      id,
      ino,
      type: SOCK.DGRAM,
      state: 1,
      flags: O.RDWR,
      uflags: 0,
      backlog: 0,
      peer: 0,
      name: new Uint8Array(0),
      ...extra,
    },
    fds: [id + 2],
  });
  return oneTask([
    sk(1, 10, { name: enc.encode(path + "\0"), deleted: true }),
    sk(2, 11, { peer: 10 }),
  ]);
}

function fifoAt(): { dir: string; path: string; ino: number | bigint | null } {
  const dir = Deno.makeTempDirSync({ prefix: "fdrestore-aside-" });
  const path = join(dir, "name");
  mkfifo(path, 0o644);
  return { dir, path, ino: Deno.lstatSync(path).ino };
}

Deno.test("a FIFO at a deleted socket's name is moved aside for the bind and given its name back", () => {
  const { dir, path, ino } = fifoAt();
  const cp = deletedPair(path);
  const t = testContext(cp);
  try {
    const [a, b] = [1, 2].map((id) => {
      const file = fileOf(cp, FD_TYPE.UNIXSK, id)!;
      const fd = unixSocketOpener.open(t.ctx, file) as number;
      t.staged.set(file, fd);
      return fd;
    });
    const st = Deno.lstatSync(path);
    assert.ok(st.isFifo && st.ino === ino, "the FIFO is not back");
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["name"]);
    write(b, enc.encode("hi")); // b is connected to a's (now unlinked) name
    const buf = new Uint8Array(8);
    assert.equal(read(a, buf), 2);
  } finally {
    t.dispose();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a restore that fails after moving an occupant aside gives it its name back", () => {
  const { dir, path, ino } = fifoAt();
  const cp = deletedPair(path);
  const t = testContext(cp);
  try {
    const file = fileOf(cp, FD_TYPE.UNIXSK, 1)!;
    close(unixSocketOpener.open(t.ctx, file) as number);
    assert.ok(Deno.lstatSync(path).isSocket, "the socket is bound at the name");
  } finally {
    t.dispose(); // the restore ends here, as after a failure
  }
  try {
    const st = Deno.lstatSync(path);
    assert.ok(st.isFifo && st.ino === ino, "the FIFO is not back");
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["name"]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("--untrusted moves nothing aside; a dry run leaves the occupant where it is", () => {
  const { dir, path, ino } = fifoAt();
  const cp = deletedPair(path);
  const file = fileOf(cp, FD_TYPE.UNIXSK, 1)!;
  try {
    const t = testContext(cp);
    try {
      assert.throws(() => unixSocketOpener.open({ ...t.ctx, untrusted: true }, file), {
        message: /another file is there now; --untrusted moves nothing aside/,
      });
      close(unixSocketOpener.open({ ...t.ctx, dryRun: true }, file) as number);
      assert.equal(Deno.lstatSync(path).ino, ino);
    } finally {
      t.dispose();
    }
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["name"]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a deleted socket's name held by a socket this restore bound is borrowed and given back", () => {
  const dir = Deno.makeTempDirSync({ prefix: "fdrestore-aside-" });
  const path = join(dir, "sock");
  const listener = (id: number, ino: number, deleted: boolean) => ({
    id,
    type: FD_TYPE.UNIXSK,
    payload: {
      id,
      ino,
      type: SOCK.STREAM,
      state: 10,
      flags: O.RDWR,
      uflags: 0,
      backlog: 1,
      peer: 0,
      name: enc.encode(path + "\0"),
      deleted,
    },
    fds: [id + 2],
  });
  // zdtm del_standalone_un: the live owner of the name, and an older listener whose name went.
  const cp = oneTask([listener(1, 10, false), listener(2, 11, true)]);
  const t = testContext(cp);
  try {
    const inos: (number | bigint | null)[] = [];
    for (const id of [1, 2]) {
      const file = fileOf(cp, FD_TYPE.UNIXSK, id)!;
      t.staged.set(file, unixSocketOpener.open(t.ctx, file) as number);
      inos.push(Deno.lstatSync(path).ino);
    }
    // The name is the first listener's file again, and nothing else is left.
    assert.equal(inos[1], inos[0]);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["sock"]);
  } finally {
    t.dispose();
    Deno.removeSync(dir, { recursive: true });
  }
});
