/** Packet sockets (PACKETSK): type, protocol and interface. */
import { FD_TYPE } from "../model/mod.ts";
import type { FdTypeDescriptor } from "./descriptor.ts";
import { SOCK_TYPE } from "./socket_words.ts";

export const packetSocketType: FdTypeDescriptor<typeof FD_TYPE.PACKETSK> = {
  type: FD_TYPE.PACKETSK,
  field: "psk",
  kinds: ["packet"],
  describe: (_cp, file, flags) => {
    const p = file.payload;
    const type = p.type === 10 ? "SOCK_PACKET" : SOCK_TYPE[p.type] ?? `type ${p.type}`;
    // The image keeps the protocol in network byte order.
    const proto = ((p.protocol & 0xff) << 8) | ((p.protocol >> 8) & 0xff);
    const ifindex = p.ifindex;
    const what = `packet ${type}, protocol 0x${proto.toString(16).padStart(4, "0")}, ` +
      (ifindex ? `interface ${ifindex}` : "every interface");
    return { kind: "packet", what, flags, details: { type, protocol: proto, ifindex } };
  },
};
