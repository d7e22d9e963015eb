import assert from "node:assert/strict";
import protobuf from "protobufjs";
import { messagePlan, protoSchema } from "./schema.ts";
import { generatedFiles, protoRoot, typesModuleText } from "../../scripts/compile_schema.ts";
import { Kind, type MessagePlan, SCALAR_KINDS, wireTypeOf } from "./wire_plan.ts";

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

Deno.test("the plans made from the compiled schema are what protobufjs reads in proto/", () => {
  const root = protoRoot();
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

Deno.test("the generated files are what scripts/compile_schema.ts makes of proto/*.proto", () => {
  for (const [rel, text] of Object.entries(generatedFiles())) {
    const path = new URL(`../../${rel}`, import.meta.url).pathname;
    assert.ok(
      Deno.readTextFileSync(path) === text,
      `${rel} is stale: run deno run -A scripts/compile_schema.ts`,
    );
  }
});

Deno.test("a message added to any proto file appears in the generated types, shaped as decoded", () => {
  const dir = Deno.makeTempDirSync();
  try {
    for (const e of Deno.readDirSync(new URL("../../proto/", import.meta.url))) {
      Deno.copyFileSync(new URL(`../../proto/${e.name}`, import.meta.url), `${dir}/${e.name}`);
    }
    Deno.writeTextFileSync(
      `${dir}/zz_new.proto`,
      'syntax = "proto2";\nimport "files.proto";\nenum zz_kind { ZZ_A = 0; ZZ_B = 7; }\n' +
        "message zz_new_entry {\n  required uint32 id = 1;\n  optional uint64 big = 2;\n" +
        "  repeated fown_entry owners = 3;\n  optional zz_kind kind = 4;\n" +
        "  optional sint32 mnt = 5 [default = -1];\n  optional bytes raw = 6;\n}\n",
    );
    const text = typesModuleText(protoRoot(new URL(`file://${dir}/`)));
    assert.ok(text.includes("export const ZZ_KIND = {\n  ZZ_A: 0,\n  ZZ_B: 7,\n} as const;"));
    const body = text.slice(text.indexOf("export interface ZzNewEntry {"));
    const fields = body.slice(0, body.indexOf("}\n")).split("\n").slice(1)
      .map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("/**"));
    assert.deepEqual(fields, [
      "id: number;",
      "big?: bigint;",
      "owners?: FownEntry[];",
      "kind?: number;",
      "mnt: number;",
      "raw?: Uint8Array;",
    ]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
