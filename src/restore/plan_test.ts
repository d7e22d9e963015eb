import assert from "node:assert/strict";
import type { Task } from "../model/mod.ts";
import { RestoreError } from "../files/restore_error.ts";
import { cwdOf } from "./plan.ts";

function task(cwd: string): Task {
  return {
    pid: 7,
    ppid: 0,
    pgid: 7,
    sid: 7,
    threads: [7],
    state: 1,
    comm: "t",
    fds: [],
    children: [],
    cwd,
  };
}

Deno.test("a cwd that is gone is named in the error, not blamed on the program", () => {
  const dir = Deno.makeTempDirSync();
  try {
    assert.equal(cwdOf(task(dir), "/"), dir);
    Deno.writeTextFileSync(`${dir}/file`, "");
    for (
      const [cwd, why] of [[`${dir}/gone`, "No such file or directory"], [
        `${dir}/file`,
        "Not a directory",
      ]]
    ) {
      assert.throws(
        () => cwdOf(task(cwd), "/"),
        (e) =>
          e instanceof RestoreError && e.pid === 7 &&
          e.message.startsWith(`task 7: cannot enter its cwd ${cwd}: ${why}`),
      );
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
