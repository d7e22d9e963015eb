/** Unix sockets (UNIXSK): type, state, address and peer. */
import type { UnixSkEntry } from "../image/mod.ts";
import { FD_TYPE } from "../model/mod.ts";
import { socketKey } from "../inherit/keys.ts";
import type { FdTypeDescriptor, FileDescription } from "./descriptor.ts";
import { SOCK_TYPE, TCP_STATE } from "./socket_words.ts";

export const unixSocketType: FdTypeDescriptor<typeof FD_TYPE.UNIXSK> = {
  type: FD_TYPE.UNIXSK,
  field: "usk",
  kinds: ["unix"],
  describe: (_cp, file, flags) => describeUnix(file.payload, flags),
  inheritKey: (_cp, file) => socketKey(file.payload.ino),
};

function unixName(p: UnixSkEntry): string {
  const raw = p.name;
  if (raw.length === 0) return "";
  if (raw[0] === 0) return "@" + new TextDecoder().decode(raw.subarray(1)).replaceAll("\0", "@");
  return new TextDecoder().decode(raw);
}

function describeUnix(p: UnixSkEntry, flags?: number): FileDescription {
  const type = SOCK_TYPE[p.type] ?? `type ${p.type}`;
  const state = TCP_STATE[p.state] ?? `state ${p.state}`;
  const name = unixName(p);
  const details: FileDescription["details"] = { ino: p.ino, type, state };
  if (name) details.address = name;
  if (p.peer) details.peer_ino = p.peer;
  let what = `unix ${type} socket:[${p.ino}]`;
  if (state === "listen") what += `, listening on ${name || "(unnamed)"}`;
  else if (name) what += `, bound to ${name}`;
  if (p.shutdown) what += `, shut down ${["", "read", "write", "both"][p.shutdown]}`;
  return { kind: "unix", what, flags, details };
}
