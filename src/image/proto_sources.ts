/**
 * The texts of our `.proto` files (text imports), for the schema compiler
 * (scripts/compile_schema.ts) and the tests that check our parser against
 * protobufjs. fdrestore itself reads the compiled schema (schema_json.ts).
 */
import viewProto from "../../proto/view.proto" with { type: "text" };
import x86Proto from "../../proto/x86.proto" with { type: "text" };
import taskProto from "../../proto/task.proto" with { type: "text" };
import memoryProto from "../../proto/memory.proto" with { type: "text" };
import filesProto from "../../proto/files.proto" with { type: "text" };
import socketsProto from "../../proto/sockets.proto" with { type: "text" };
import sideDataProto from "../../proto/side_data.proto" with { type: "text" };

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
