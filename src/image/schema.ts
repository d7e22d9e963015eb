/**
 * The protobuf schema of CRIU image entries (our own `.proto` files) and the
 * decoding plans made from it. protobufjs reads the schema when it is compiled
 * (scripts/compile_schema.ts), not at every start: schema_json.ts holds the
 * result as JSON, which reads in ~0.5 ms, and survives `deno bundle` and
 * `deno compile`.
 */
import { SCHEMA_JSON } from "./schema_json.ts";
import { type MessagePlan, PlanBuilder } from "./wire_plan.ts";

export type OptionValue = string | number | boolean;

export interface ProtoField {
  readonly name: string;
  readonly id: number;
  readonly label: "required" | "optional" | "repeated";
  /** A scalar name, or the full name of a message or enum. */
  readonly type: string;
  /** Options by name as protobufjs keys them: "default", "packed", "(view).hex". */
  readonly options: Readonly<Record<string, OptionValue>>;
}

export interface ProtoMessage {
  /** Full dotted name: "core_entry", "core_entry.march". */
  readonly fullName: string;
  readonly name: string;
  readonly fields: readonly ProtoField[];
}

export interface ProtoEnum {
  readonly fullName: string;
  readonly name: string;
  /** Value names by number (the last name wins for aliases), and numbers by name. */
  readonly byNumber: Readonly<Record<number, string>>;
  readonly byName: Readonly<Record<string, number>>;
}

export interface ProtoSchema {
  readonly messages: ReadonlyMap<string, ProtoMessage>;
  readonly enums: ReadonlyMap<string, ProtoEnum>;
}

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
