/** Netlink sockets (NETLINKSK): protocol, port id, groups, destination. */
import { FD_TYPE } from "../model/mod.ts";
import type { FdTypeDescriptor } from "./descriptor.ts";

export const netlinkSocketType: FdTypeDescriptor<typeof FD_TYPE.NETLINKSK> = {
  type: FD_TYPE.NETLINKSK,
  field: "nlsk",
  kinds: ["netlink"],
  describe: (_cp, file, flags) => {
    const p = file.payload;
    const groups = (p.groups ?? [])[0] ?? 0;
    const portid = p.portid >>> 0;
    let what = `netlink protocol ${p.protocol}`;
    what += portid ? `, port id ${portid}` : ", unbound";
    if (groups) what += `, groups 0x${(groups >>> 0).toString(16)}`;
    // sk_state 1 is NETLINK_CONNECTED.
    if (p.state === 1) what += ` -> port id ${p.dst_portid} group ${p.dst_group}`;
    return { kind: "netlink", what, flags, details: { protocol: p.protocol, portid } };
  },
};
