/**
 * The protobuf schema of CRIU image entries (our own `.proto` files), embedded
 * as text so that it survives `deno bundle` and `deno compile`.
 */
import protobuf from "protobufjs";
import descriptor from "protobufjs/google/protobuf/descriptor.json" with { type: "json" };
import viewProto from "../../proto/view.proto" with { type: "text" };
import x86Proto from "../../proto/x86.proto" with { type: "text" };
import taskProto from "../../proto/task.proto" with { type: "text" };
import memoryProto from "../../proto/memory.proto" with { type: "text" };
import filesProto from "../../proto/files.proto" with { type: "text" };
import socketsProto from "../../proto/sockets.proto" with { type: "text" };
import sideDataProto from "../../proto/side_data.proto" with { type: "text" };

const SOURCES = [
  viewProto,
  x86Proto,
  taskProto,
  memoryProto,
  filesProto,
  socketsProto,
  sideDataProto,
];

let root: protobuf.Root | undefined;

/** The resolved schema root, built on first use. */
export function schemaRoot(): protobuf.Root {
  if (root) return root;
  // view.proto extends FieldOptions; protobufjs does not bundle descriptor.proto.
  protobuf.common("google/protobuf/descriptor.proto", descriptor as protobuf.INamespace);
  const r = new protobuf.Root();
  r.addJSON(protobuf.common.get("google/protobuf/descriptor.proto")?.nested ?? {});
  for (const src of SOURCES) protobuf.parse(src, r, { keepCase: true });
  r.resolveAll();
  root = r;
  return r;
}

/** The message type called `name` (a proto message name such as "file_entry"). */
export function messageType(name: string): protobuf.Type {
  return schemaRoot().lookupType(name);
}
