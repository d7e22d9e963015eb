import assert from "node:assert/strict";
import type { TaskPlan } from "../restore/plan.ts";
import { applyHandoff } from "./apply.ts";

function plan(pid: number, fds: number[], env: string[], children: TaskPlan[] = []): TaskPlan {
  return { pid, path: "/bin/x", argv: ["x"], env, setsid: false, pgid: pid, fds, children };
}

const STALE = [
  "LISTEN_PID=10",
  "LISTEN_FDS=1",
  "LISTEN_FDNAMES=old",
  "NOTIFY_SOCKET=/run/old",
  "NGINX=4;",
  "PATH=/bin",
];

Deno.test("--listen-fds: stdio stays, the sockets go to 3, 4, ... in order, nothing else is passed", () => {
  // target, batch index pairs: stdio, a log at 3, sockets at 6 and 9, a pipe at 12
  const root = plan(1, [0, 0, 1, 1, 2, 1, 3, 2, 6, 3, 9, 4, 12, 5], [...STALE]);
  applyHandoff(root, { pid: 1, listen: [{ fd: 9, name: "admin" }, { fd: 6, name: "http" }] });
  assert.deepEqual(root.fds, [0, 0, 1, 1, 2, 1, 3, 4, 4, 3]);
  assert.deepEqual(root.env, [
    "NGINX=4;",
    "PATH=/bin",
    "LISTEN_FDS=2",
    "LISTEN_FDNAMES=admin:http",
  ]);
  assert.equal(root.listenPid, true);
});

Deno.test("--fds-env keeps the table; every other task loses the variable and LISTEN_*", () => {
  const child = plan(2, [0, 0, 6, 1], [...STALE]);
  const root = plan(1, [0, 0, 6, 1, 7, 2], [...STALE], [child]);
  applyHandoff(root, { pid: 1, fdsEnv: { name: "NGINX", fds: [6, 7] }, notifySocket: "/run/n" });
  assert.deepEqual(root.fds, [0, 0, 6, 1, 7, 2]);
  assert.deepEqual(root.env, ["PATH=/bin", "NOTIFY_SOCKET=/run/n", "NGINX=6;7;"]);
  assert.equal(root.listenPid, undefined);
  assert.deepEqual(child.env, ["PATH=/bin"]);
});

Deno.test("a socket left out by --cloexec=honor cannot be handed over", () => {
  const root = plan(1, [0, 0], []);
  assert.throws(
    () => applyHandoff(root, { pid: 1, listen: [{ fd: 6, name: "fd6" }] }),
    /fd 6 of task 1 is close-on-exec and --cloexec=honor leaves it out/,
  );
});
