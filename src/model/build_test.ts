import assert from "node:assert/strict";
import { haveCorpus, imagesOf, readScenario, scenarios } from "../../tests/support/corpus.ts";
import { FD_TYPE, fdTypeName, fileKey, loadCheckpoint } from "./mod.ts";
import { readEntries } from "../image/mod.ts";
import { inheritKeyOf } from "../fdtypes/mod.ts";

Deno.test("every corpus fd maps to the file id, type and inherit key real criu reported", () => {
  if (!haveCorpus("model vs fd_ids")) return;
  let checked = 0;
  for (const name of scenarios()) {
    const sc = readScenario(name);
    const cp = loadCheckpoint(imagesOf(name));
    const seen = new Set<string>();
    for (const task of cp.tasks) {
      for (const e of task.fds) {
        const id = `${task.pid}:${e.fd}`;
        seen.add(id);
        const want = sc.fd_ids[id];
        assert.ok(want, `${name}: ${id} is not in scenario.json fd_ids`);
        assert.equal(e.file.id, want.file_id, `${name} ${id} file id`);
        assert.equal(fdTypeName(e.file.type), want.type, `${name} ${id} type`);
        assert.equal(inheritKeyOf(cp, e.file), want.inherit_key ?? undefined, `${name} ${id} key`);
        checked++;
      }
    }
    // Sharing tasks list no fds of their own; every fd_ids row is someone's.
    for (const id of Object.keys(sc.fd_ids)) {
      const pid = Number(id.split(":")[0]);
      const task = cp.tasks.find((t) => t.pid === pid);
      if (task && task.tableOwner === task) assert.ok(seen.has(id), `${name}: ${id} missing`);
    }
  }
  assert.ok(checked > 3000, `only ${checked} fds checked`);
});

Deno.test("tree-shared: tasks, parents and the restore order of a shared file", () => {
  if (!haveCorpus("tree-shared model")) return;
  const cp = loadCheckpoint(imagesOf("tree-shared"));
  assert.deepEqual(cp.tasks.map((t) => [t.pid, t.ppid, t.pgid]), [
    [7178, 0, 7178],
    [7179, 7178, 7179],
    [7180, 7178, 7178],
    [7181, 7180, 7178],
  ]);
  assert.equal(cp.root.pid, 7178);
  assert.deepEqual(cp.root.children.map((t) => t.pid), [7179, 7180]);
  // shared.txt is fd 3 in 7178, 7180, 7181 and fd 42 in 7179: master is the lowest pid.
  const shared = cp.tasks[0].fds.find((e) => e.fd === 3)!.file;
  assert.deepEqual(shared.fds.map((e) => `${e.task.pid}:${e.fd}`), [
    "7178:3",
    "7179:42",
    "7180:3",
    "7181:3",
  ]);
  assert.equal(shared.type, FD_TYPE.REG);
  assert.equal(cp.tasks[1].cwd, "/tmp/criu-corpus/tree-shared");
});

Deno.test("argv, environment, executable and umask come from the images", () => {
  if (!haveCorpus("argv from memory images")) return;
  for (const name of ["pipes", "tree-shared", "misc-fds"]) {
    const sc = readScenario(name);
    const cp = loadCheckpoint(imagesOf(name));
    for (const task of cp.tasks) {
      assert.deepEqual(task.argv, sc.task.argv, `${name} ${task.pid} argv`);
      assert.deepEqual(
        task.env,
        Object.entries(sc.task.env).map(([k, v]) => `${k}=${v}`),
        `${name} ${task.pid} env`,
      );
      assert.equal(task.exe, sc.task.argv[0]);
      assert.equal(task.cwd, sc.task.cwd);
      assert.equal(task.umask, 0o22);
    }
  }
});

Deno.test("pipe data and socket queues are attached to their pipes and sockets", () => {
  if (!haveCorpus("side images")) return;
  const cp = loadCheckpoint(imagesOf("pipes"));
  const withData = [...cp.pipeData.values()].filter((d) => d.bytes.length > 0);
  assert.ok(withData.some((d) => d.bytes.length === 70000 && d.size === 262144));
  const text = new TextDecoder().decode(withData.find((d) => d.bytes.length === 37)!.bytes);
  assert.equal(text, "pipe-B holds thirty-seven bytes now.\n");
  const us = loadCheckpoint(imagesOf("unix-sockets"));
  assert.ok(us.socketQueues.size > 0);
});

Deno.test("a file's payload, read again from the image bytes, equals what readEntries decodes", () => {
  if (!haveCorpus("lazy payloads")) return;
  let checked = 0;
  for (const name of scenarios()) {
    const cp = loadCheckpoint(imagesOf(name));
    for (const e of readEntries(imagesOf(name), "files")) {
      const raw = e as unknown as Record<string, unknown>;
      // The payload is the one message field besides type and id.
      const [, payload] = Object.entries(raw).find(([k, v]) =>
        k !== "type" && k !== "id" && typeof v === "object"
      )!;
      const file = cp.files.get(fileKey(e.type, e.id))!;
      assert.deepEqual(file.payload, payload, `${name} file ${e.id}`);
      // Asked twice, and after another file: the same contents.
      assert.deepEqual(file.payload, payload);
      checked++;
    }
  }
  assert.ok(checked > 100, `only ${checked} files checked`);
});
