/**
 * The protobuf schema of CRIU image entries (our own `.proto` files) and the
 * decoding plans made from it. protobufjs reads the schema when it is compiled
 * (scripts/compile_schema.ts), not at every start: schema_json.ts holds the
 * result as JSON, which reads in ~0.5 ms, and survives `deno bundle` and
 * `deno compile`.
 */
import { SCHEMA_JSON } from "./schema_json.ts";
import type { ProtoEnum, ProtoMessage, ProtoSchema } from "./schema_types.ts";
import { type MessagePlan, PlanBuilder } from "./wire_plan.ts";

let schema: ProtoSchema | undefined;
let builder: PlanBuilder | undefined;

/** The schema, read on first use. */
export function protoSchema(): ProtoSchema {
  return schema ??= schemaFromJson(SCHEMA_JSON);
}

export function schemaFromJson(text: string): ProtoSchema {
  const o = JSON.parse(text) as { messages: ProtoMessage[]; enums: ProtoEnum[] };
  return {
    messages: new Map(o.messages.map((m) => [m.fullName, m])),
    enums: new Map(o.enums.map((e) => [e.fullName, e])),
  };
}

/** The decoding plan of the message called `name` (a full name such as "file_entry"). */
export function messagePlan(name: string): MessagePlan {
  builder ??= new PlanBuilder(protoSchema());
  return builder.plan(name);
}
