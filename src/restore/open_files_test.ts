import assert from "node:assert/strict";
import { FD_TYPE, type FdEntry, type FileDesc, type Task } from "../model/mod.ts";
import { RestoreError } from "../files/restore_error.ts";
import { close, dup, fstat, pipe2 } from "../sys/mod.ts";
import { leakChecked } from "../sys/_testing.ts";
import { StagedFiles } from "./open_files.ts";

function fileWithMaster(id: number, pid: number, fd: number): FileDesc {
  const fds: FdEntry[] = [];
  const file: FileDesc = { id, type: FD_TYPE.UNIXSK, payload: {}, fds };
  const task = { pid, fds } as unknown as Task;
  fds.push({ task, fd, file, fdFlags: 0 });
  return file;
}

Deno.test(
  "a file handed to the stage twice fails naming its task and fd, and leaks no fd",
  leakChecked(() => {
    const staged = new StagedFiles(600);
    const [r, w] = pipe2();
    const file = fileWithMaster(11, 14443, 9);
    try {
      const first = staged.adopt(file, r);
      assert.ok(first >= 600);
      assert.equal(fstat(first).ino, fstat(w).ino);
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
