import assert from "node:assert/strict";
import { FD_TYPE, loadCheckpoint } from "../model/mod.ts";
import { model } from "../files/_test_utils.ts";
import { haveCorpus, imagesOf, scenarios } from "../../tests/support/corpus.ts";
import { describeFile, SHOW_KINDS } from "./describe.ts";

Deno.test("a type without a description gets a line naming it", () => {
  const cases = [
    [FD_TYPE.TUNF, "tunf", "TUNF"],
    [FD_TYPE.FANOTIFY, "fanotify", "FANOTIFY"],
    [FD_TYPE.EXT, "ext", "EXT"],
    [FD_TYPE.BPFMAP, "bpfmap", "BPFMAP"],
  ] as const;
  for (const [type, kind, name] of cases) {
    const cp = model({ files: [{ id: 7, type, payload: { id: 7, flags: 2 }, fds: [[100, 3]] }] });
    const d = describeFile(cp, [...cp.files.values()][0]);
    assert.deepEqual(d, {
      kind,
      what: `${name} file (not restorable by fdrestore)`,
      flags: 2,
      details: {},
    });
    assert.ok(SHOW_KINDS.includes(kind), kind);
  }
});

Deno.test("every kind show gives in the corpus is one --kind accepts", () => {
  if (!haveCorpus("show kinds")) return;
  for (const name of scenarios()) {
    const cp = loadCheckpoint(imagesOf(name));
    for (const file of cp.files.values()) {
      const { kind } = describeFile(cp, file);
      assert.ok(SHOW_KINDS.includes(kind), `${name}: file ${file.id} kind ${kind}`);
    }
  }
});
