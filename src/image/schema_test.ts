import assert from "node:assert/strict";
import protobuf from "protobufjs";
import descriptor from "protobufjs/google/protobuf/descriptor.json" with { type: "json" };
import { parseProto, ProtoSyntaxError } from "./proto_parse.ts";
import { messagePlan, protoSchema } from "./schema.ts";
import { PROTO_SOURCES } from "./proto_sources.ts";
import { schemaModuleText } from "../../scripts/compile_schema.ts";
import { Kind, type MessagePlan, SCALAR_KINDS, wireTypeOf } from "./wire_plan.ts";

// protobufjs (a dev dependency only) is the reference our parser must agree with.
function protobufjsRoot(): protobuf.Root {
  protobuf.common("google/protobuf/descriptor.proto", descriptor as protobuf.INamespace);
  const root = new protobuf.Root();
  root.addJSON(protobuf.common.get("google/protobuf/descriptor.proto")?.nested ?? {});
  for (const src of PROTO_SOURCES) protobuf.parse(src, root, { keepCase: true });
  root.resolveAll();
  return root;
}

const SCALAR = SCALAR_KINDS;

/** What a decoder and crit_json need of a message, from protobufjs's reflection. */
function fromProtobufjs(type: protobuf.Type) {
  const fields = [...type.fieldsArray].sort((a, b) => a.id - b.id).map((f) => {
    f.resolve();
    const en = f.resolvedType instanceof protobuf.Enum ? f.resolvedType : undefined;
    const kind = SCALAR[f.type] ?? (en ? Kind.ENUM : Kind.MESSAGE);
    const o: Record<string, unknown> = f.options ?? {};
    let def: unknown = f.repeated ? undefined : o.default;
    if (en && typeof def === "string") def = en.values[def];
    else if (def !== undefined && [Kind.UINT64, Kind.INT64, Kind.SINT64].includes(kind)) {
      def = BigInt(def as number);
    }
    return {
      name: f.name,
      id: f.id,
      kind,
      wireType: wireTypeOf(kind),
      repeated: f.repeated,
      required: f.required,
      packed: f.repeated && f.packed && wireTypeOf(kind) !== 2,
      message: kind === Kind.MESSAGE ? (f.resolvedType as protobuf.Type).fullName.slice(1) : "",
      enumNames: en ? { ...en.valuesById } : undefined,
      view: {
        hex: o["(view).hex"] === true,
        ipadd: o["(view).ipadd"] === true,
        flags: o["(view).flags"],
        dev: o["(view).dev"] === true,
        odev: o["(view).odev"] === true,
        dict: o["(view).dict"],
        conv: o["(view).conv"],
      },
      defaultValue: def,
    };
  });
  return {
    name: type.name,
    fields,
    requiredNames: fields.filter((f) => f.required).map((f) => f.name),
    defaults: fields
      .filter((f) => f.defaultValue !== undefined && ![0, false, ""].includes(f.defaultValue as 0))
      .map((f) => [f.name, f.defaultValue]),
  };
}

/** The same projection of one of our plans. */
function fromPlan(plan: MessagePlan, fullNames: Map<MessagePlan, string>) {
  return {
    name: plan.name,
    fields: plan.fields.map((f) => ({
      name: f.name,
      id: f.id,
      kind: f.kind,
      wireType: f.wireType,
      repeated: f.repeated,
      required: f.required,
      packed: f.repeated && f.packed && f.wireType !== 2,
      message: f.message ? fullNames.get(f.message) : "",
      enumNames: f.enumNames ? { ...f.enumNames } : undefined,
      view: { ...f.view },
      defaultValue: f.defaultValue,
    })),
    requiredNames: [...plan.requiredNames],
    defaults: plan.defaults.map(([k, v]) => [k, v]),
  };
}

Deno.test("our proto parser gives the same plan as protobufjs for every message of the schema", () => {
  const root = protobufjsRoot();
  const names = [...protoSchema().messages.keys()];
  const fullNames = new Map(names.map((n) => [messagePlan(n), n]));
  assert.ok(names.length > 80, `only ${names.length} messages`);
  for (const name of names) {
    assert.deepEqual(
      fromPlan(messagePlan(name), fullNames),
      fromProtobufjs(root.lookupType(name)),
      name,
    );
  }
  // ...and no message protobufjs knows is missing from ours.
  const theirs: string[] = [];
  const walk = (ns: protobuf.NamespaceBase) => {
    for (const o of ns.nestedArray) {
      if (o instanceof protobuf.Type) theirs.push(o.fullName.slice(1));
      if (o instanceof protobuf.Namespace || o instanceof protobuf.Type) walk(o);
    }
  };
  walk(root);
  assert.deepEqual(theirs.filter((n) => !n.startsWith("google.")).sort(), [...names].sort());
});

Deno.test("nested enums resolve from the inner scope and defaults take the enum's number", () => {
  const core = messagePlan("core_entry");
  assert.equal(core.byId[1]?.kind, Kind.ENUM);
  assert.equal(core.byId[1]?.enumNames?.[1], "X86_64");
  assert.deepEqual(messagePlan("user_x86_regs_entry").defaults, [["mode", 1]]);
  assert.deepEqual(messagePlan("packet_sock_entry").defaults, [["fanout", 0xffffffff]]);
  assert.deepEqual(messagePlan("reg_file_entry").defaults, [["mnt_id", -1]]);
});

Deno.test("the proto parser refuses what it does not support, naming the line", () => {
  assert.throws(
    () => parseProto(['syntax = "proto2";\n\nservice s {}']),
    (e) =>
      e instanceof ProtoSyntaxError &&
      e.message === 'proto source 0, line 3: unsupported statement "service"',
  );
  assert.throws(
    () => parseProto(['syntax = "proto3";']),
    (e) => e instanceof ProtoSyntaxError && /only proto2/.test(e.message),
  );
  assert.throws(
    () => parseProto(["message m {\n  optional nothing x = 1;\n}"]),
    /unresolved type nothing in m/,
  );
  assert.throws(
    () => parseProto(["message m {\n  oneof x { uint32 a = 1; }\n}"]),
    (e) => e instanceof ProtoSyntaxError && e.line === 2,
  );
});

Deno.test("packed, octal, hex and negative numbers parse as protoc reads them", () => {
  const s = parseProto([
    "message m { repeated uint32 a = 1 [packed = true]; optional int32 b = 2 [default = -0x10];" +
    ' optional uint32 c = 3 [default = 017]; optional string d = 4 [default = "a\\"b"]; }',
  ]);
  const f = s.messages.get("m")?.fields ?? [];
  assert.deepEqual(f.map((x) => x.options), [
    { packed: true },
    { default: -16 },
    { default: 15 },
    { default: 'a"b' },
  ]);
});

Deno.test("the compiled schema fdrestore reads is what our parser makes of proto/*.proto", () => {
  const path = new URL("./schema_json.ts", import.meta.url).pathname;
  assert.ok(
    Deno.readTextFileSync(path) === schemaModuleText(),
    "src/image/schema_json.ts is stale: run deno run -A scripts/compile_schema.ts",
  );
  assert.deepEqual(protoSchema(), parseProto(PROTO_SOURCES));
});
