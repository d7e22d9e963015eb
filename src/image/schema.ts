/**
 * The protobuf schema of CRIU image entries (our own `.proto` files), embedded
 * as text so that it survives `deno bundle` and `deno compile`, read by our
 * own small parser (proto_parse.ts) into decoding plans.
 */
import viewProto from "../../proto/view.proto" with { type: "text" };
import x86Proto from "../../proto/x86.proto" with { type: "text" };
import taskProto from "../../proto/task.proto" with { type: "text" };
import memoryProto from "../../proto/memory.proto" with { type: "text" };
import filesProto from "../../proto/files.proto" with { type: "text" };
import socketsProto from "../../proto/sockets.proto" with { type: "text" };
import sideDataProto from "../../proto/side_data.proto" with { type: "text" };
import { parseProto, type ProtoSchema } from "./proto_parse.ts";
import { type MessagePlan, PlanBuilder } from "./wire_plan.ts";

/** The schema texts, in import order. */
export const PROTO_SOURCES: readonly string[] = [
  viewProto,
  x86Proto,
  taskProto,
  memoryProto,
  filesProto,
  socketsProto,
  sideDataProto,
];

let schema: ProtoSchema | undefined;
let builder: PlanBuilder | undefined;

/** The parsed schema, built on first use. */
export function protoSchema(): ProtoSchema {
  return schema ??= parseProto(PROTO_SOURCES);
}

/** The decoding plan of the message called `name` (a full name such as "file_entry"). */
export function messagePlan(name: string): MessagePlan {
  builder ??= new PlanBuilder(protoSchema());
  return builder.plan(name);
}
