import assert from "node:assert/strict";
import { fakeFile, FD_TYPE, type FdEntry, type FileDesc, type Task } from "../model/mod.ts";
import { RestoreError } from "../restore_error.ts";
import { close, dup, fstat, O, pipe2, recvFds, SOCK } from "../sys/mod.ts";
import { leakChecked } from "../sys/_testing.ts";
import { fileOf, model } from "../files/_test_utils.ts";
import { LOG_LEVEL, Logger } from "../log.ts";
import { InheritFdTable } from "../inherit/mod.ts";
import { openFiles, RestoreSession } from "./open_files.ts";

function fileWithMaster(id: number, pid: number, fd: number): FileDesc {
  const fds: FdEntry[] = [];
  const file = fakeFile(id, FD_TYPE.UNIXSK, {}, fds);
  const task = { pid, fds } as unknown as Task;
  fds.push({ task, fd, file, fdFlags: 0 });
  return file;
}

Deno.test(
  "a file handed to the stage twice fails naming its task and fd, and leaks no fd",
  leakChecked(() => {
    const staged = new RestoreSession(model({ files: [] }));
    const [r, w] = pipe2();
    const file = fileWithMaster(11, 14443, 9);
    try {
      assert.equal(staged.adopt(file, r), r, "held where it was opened");
      const again = dup(w);
      assert.throws(
        () => staged.adopt(file, again),
        (e) =>
          e instanceof RestoreError && e.pid === 14443 && e.fd === 9 && e.fileId === 11 &&
          e.message === "fd 9 of task 14443 (UNIXSK, id 11) was opened twice",
      );
    } finally {
      staged.release();
      close(w);
    }
  }),
);

Deno.test(
  "an epoll in flight in the queue of the socket it watches: socket, then epoll, then queue",
  leakChecked(() => {
    const cp = model({
      files: [
        { id: 6, type: FD_TYPE.UNIXSK, payload: usk(6, 900, 901), fds: [[1, 4]] },
        { id: 7, type: FD_TYPE.UNIXSK, payload: usk(7, 901, 900), fds: [[1, 5]] },
        // No task holds the epoll: it only travels in socket 7's queue (zdtm scm05).
        { id: 8, type: FD_TYPE.EVENTPOLL, payload: { flags: O.RDWR, tfd: [TARGET] } },
      ],
    });
    const msg = { idFor: 7, data: new Uint8Array([0]), rights: [8] };
    cp.socketQueues.set(7, [msg, msg]);
    const log = new Logger(LOG_LEVEL.MSG, () => {});
    const inherit = new InheritFdTable({ callerFdsOnly: false, logger: log });
    const staged = openFiles(cp, cp.tasks, { root: "/", inherit, log });
    try {
      const sock = staged.get(fileOf(cp, FD_TYPE.UNIXSK, 7))!;
      for (let i = 0; i < 2; i++) {
        const got = recvFds(sock, 2, 16, { nonblock: true })!;
        assert.equal(got.fds.length, 1);
        const info = Deno.readTextFileSync(`/proc/self/fdinfo/${got.fds[0]}`);
        // Registered under the socket's number in the task, on the socket's inode.
        const ino = fstat(sock).ino;
        assert.match(
          info,
          new RegExp(`^tfd:\\s+5 events:\\s+19 data:\\s+5 .*ino:${ino.toString(16)}`, "m"),
        );
        close(got.fds[0]);
      }
      assert.equal(recvFds(sock, 2, 16, { nonblock: true }), null, "two messages, no more");
    } finally {
      staged.release();
      inherit.finish();
    }
  }),
);

const TARGET = { tfd: 5, events: 0x19, data: 5n };

function usk(id: number, ino: number, peer: number) {
  return {
    id,
    ino,
    type: SOCK.DGRAM,
    state: 1,
    flags: O.RDWR,
    uflags: 0,
    peer,
    name: new Uint8Array(),
  };
}
