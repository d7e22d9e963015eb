import assert from "node:assert/strict";
import { cwdProblem } from "./plan.ts";

Deno.test("a cwd that cannot be entered is named, so a failed start is not blamed on the program", () => {
  const dir = Deno.makeTempDirSync();
  try {
    assert.equal(cwdProblem(7, dir), undefined);
    Deno.writeTextFileSync(`${dir}/file`, "");
    assert.equal(
      cwdProblem(7, `${dir}/gone`),
      `task 7: cannot enter its cwd ${dir}/gone: No such file or directory`,
    );
    assert.equal(
      cwdProblem(7, `${dir}/file`),
      `task 7: cannot enter its cwd ${dir}/file: Not a directory`,
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
