import assert from "node:assert/strict";
import { FD_TYPE, fdTypeName, type FileType } from "../model/mod.ts";
import { DESCRIPTORS } from "../fdtypes/mod.ts";
import { RestoreError } from "../restore_error.ts";
import { model } from "./_test_utils.ts";
import { openerFor, OPENERS } from "./registry.ts";

Deno.test("every opener is listed under its own fd type, which has a descriptor", () => {
  const types = Object.keys(OPENERS).map(Number) as FileType[];
  assert.ok(types.length > 0);
  for (const type of types) {
    assert.equal(OPENERS[type]?.type, type, fdTypeName(type));
    assert.equal(DESCRIPTORS[type]?.type, type, fdTypeName(type));
  }
});

Deno.test("a file of a type without an opener fails naming its task and fd", () => {
  const cp = model({
    files: [{ id: 7, type: FD_TYPE.TUNF, payload: { id: 7, flags: 2 }, fds: [[100, 3]] }],
  });
  assert.throws(() => openerFor([...cp.files.values()][0]), (e: unknown) => {
    assert.ok(e instanceof RestoreError);
    assert.equal(
      e.message,
      "fd 3 of task 100: TUNF files (id 7) cannot be restored by fdrestore yet",
    );
    return true;
  });
});
