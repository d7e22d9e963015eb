import assert from "node:assert/strict";
import { join } from "node:path";
import protobuf from "protobufjs";
import { CORPUS, haveCorpus, scenarios } from "./support/corpus.ts";
import { decodeImageBytes } from "../src/image/image_file.ts";
import { decodeMessage } from "../src/image/wire_decode.ts";
import { PlanBuilder } from "../src/image/wire_plan.ts";
import { schemaOf } from "../scripts/compile_schema.ts";
import { encodeEntry, encodeImage } from "./support/image_writer.ts";

const SRC = `syntax = "proto2";
enum color { RED = 3; GREEN = 4; }
message inner { required uint32 a = 1; }
message all {
  optional int32 i32 = 1; optional sint32 s32 = 2; optional uint64 u64 = 3;
  optional int64 i64 = 4; optional sint64 s64 = 5; optional bool b = 6;
  optional color c = 7; optional fixed32 f32 = 8; optional sfixed64 sf64 = 9;
  optional double d = 10; optional string s = 11; optional bytes by = 12;
  repeated inner msgs = 13; repeated uint32 packed = 14 [packed = true];
  repeated uint32 plain = 15; required uint32 req = 16; required color req_c = 17;
  required sint32 req_d = 18 [default = -1]; optional float f = 19;
}`;

const root = protobuf.parse(SRC, { keepCase: true }).root;
root.resolveAll();
const plan = (name: string) => new PlanBuilder(schemaOf(root)).plan(name);

Deno.test("our decoder reads back what protobufjs writes, for every kind of field", () => {
  const values = {
    i32: -5,
    s32: -7,
    u64: 18446744073709551615n,
    i64: -2n,
    s64: -9007199254740993n,
    b: true,
    c: 4,
    f32: 0xfffffffe,
    sf64: -3n,
    d: 1.5,
    s: "naïve",
    by: new Uint8Array([0, 255, 7]),
    msgs: [{ a: 1 }, { a: 300 }],
    packed: [1, 128, 70000],
    plain: [2, 3],
    req: 9,
    req_c: 3,
    req_d: -4,
    f: 0.25,
  };
  const bytes = encodeEntry("all", values, root);
  assert.deepEqual(decodeMessage(plan("all"), bytes, 0, bytes.length), values);
  // Enum names are taken too, and the packed field really is packed (one tag 14).
  assert.deepEqual(encodeEntry("all", { ...values, c: "GREEN" }, root), bytes);
  assert.equal(bytes.filter((b) => b === ((14 << 3) | 2)).length, 1);
});

Deno.test("an absent required scalar is written with its default, an absent message refused", () => {
  // req = 0, req_c = RED (3, the first value), req_d = -1 zig-zagged to 1
  assert.deepEqual(
    encodeEntry("all", {}, root),
    new Uint8Array([0x80, 1, 0, 0x88, 1, 3, 0x90, 1, 1]),
  );
  const outer = protobuf.parse("message o { required i x = 1; } message i {}", { keepCase: true });
  outer.root.resolveAll();
  assert.throws(() => encodeEntry("o", {}, outer.root), /o\.x: a required message is missing/);
});

Deno.test({
  name: "every corpus image re-encodes to exactly its own bytes",
  ignore: !haveCorpus("corpus re-encoding"),
  fn() {
    let count = 0;
    for (const sc of scenarios()) {
      const dir = join(CORPUS, sc, "images");
      for (const e of Deno.readDirSync(dir)) {
        if (!e.name.endsWith(".img") || e.name.startsWith("pages-")) continue;
        const bytes = Deno.readFileSync(join(dir, e.name));
        const img = decodeImageBytes(bytes, e.name);
        if (!img.decoded) continue;
        const again = encodeImage(img.kind, img.entries, {
          head: img.head ?? "none",
          magic: img.magic,
        });
        assert.deepEqual(again, bytes, `${sc}/${e.name}`);
        count++;
      }
    }
    assert.ok(count > 100, `only ${count} images`);
  },
});
