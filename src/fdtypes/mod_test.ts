import assert from "node:assert/strict";
import { messagePlan } from "../image/mod.ts";
import { fdTypeName, type FileType, PAYLOAD_FIELD } from "../model/mod.ts";
import { DESCRIPTORS } from "./mod.ts";

const fileTypes = Object.keys(PAYLOAD_FIELD).map(Number) as FileType[];

Deno.test("every fd type with a payload field has one descriptor, under its number, naming that field", () => {
  assert.deepEqual(Object.keys(DESCRIPTORS).map(Number).sort(), [...fileTypes].sort());
  for (const type of fileTypes) {
    const d = DESCRIPTORS[type];
    assert.equal(d.type, type, fdTypeName(type));
    assert.equal(d.field, PAYLOAD_FIELD[type], fdTypeName(type));
  }
});

Deno.test("every payload field of the generated file_entry belongs to exactly one fd type", () => {
  const payloads = messagePlan("file_entry").fields.filter((f) => f.message !== undefined);
  const fields = Object.values(DESCRIPTORS).map((d) => d.field as string);
  assert.deepEqual([...fields].sort(), payloads.map((f) => f.name).sort());
  assert.equal(new Set(fields).size, fields.length);
});

Deno.test("a descriptor that describes its files names the kinds it gives", () => {
  for (const d of Object.values(DESCRIPTORS)) {
    assert.equal(d.kinds.length > 0, d.describe !== undefined, fdTypeName(d.type));
  }
});
