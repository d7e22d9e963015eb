import assert from "node:assert/strict";
import type { Task } from "../model/mod.ts";
import { RestoreError } from "../restore_error.ts";
import { checkPrograms, userProgram } from "./choose.ts";
import { fakeTask } from "../files/_test_utils.ts";

function task(pid: number, exe: string, argv: string[]): Task {
  return fakeTask(pid, { comm: exe.slice(exe.lastIndexOf("/") + 1), exe, argv });
}

const pad = (n: number) => Array<string>(n).fill("");
const master = task(4151, "/nonexistent/nginx", [
  "nginx: master process /nonexistent/nginx",
  ...pad(3),
]);
const worker = task(4153, "/nonexistent/nginx", ["nginx: worker process", ...pad(9)]);
const shell = task(4160, "/nonexistent/app", ["/nonexistent/app", "-c", "a b"]);

Deno.test("a doubted recorded program is refused in one line naming the first task and the others", () => {
  assert.throws(() => checkPrograms([shell, master, worker], {}, "/"), {
    name: "RestoreError",
    message: "task 4151 (nginx): its recorded argv 'nginx: master process /nonexistent/nginx' " +
      "is a process title, not a command line (argv[0] has spaces; 3 empty strings end it); " +
      "name its program with --exec 4151='PROGRAM ARGS...' or -- PROGRAM ARGS... (also task 4153)",
  });
});

Deno.test("a program from --exec or -- is never doubted", () => {
  const exec = new Map([[4151, ["nginx"]]]);
  assert.throws(() => checkPrograms([master, worker], { exec }, "/"), /^RestoreError: task 4153/);
  checkPrograms([master, worker], { exec, program: ["sleep", "1"] }, "/");
  assert.deepEqual(userProgram(4151, { exec, program: ["sleep"] }), ["nginx"]);
  assert.deepEqual(userProgram(4153, { exec, program: ["sleep"] }), ["sleep"]);
  assert.equal(userProgram(4153, { exec }), undefined);
});

Deno.test("--exec for a task that does not start is an error", () => {
  const err = (() => {
    try {
      checkPrograms([shell], { exec: new Map([[999, ["true"]]]) }, "/");
    } catch (e) {
      return e;
    }
  })();
  assert.ok(err instanceof RestoreError);
  assert.equal(err.message, "--exec 999: no task 999 starts from these images");
  assert.equal(err.exitCode, 1);
});
