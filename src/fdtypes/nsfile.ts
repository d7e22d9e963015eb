/** Namespace files (NS): which namespace of which task. */
import { FD_TYPE, nsKindOfFlag } from "../model/mod.ts";
import type { FdTypeDescriptor } from "./descriptor.ts";

export const nsFileType: FdTypeDescriptor<typeof FD_TYPE.NS> = {
  type: FD_TYPE.NS,
  field: "nsf",
  kinds: ["ns"],
  describe: (_cp, file, flags) => {
    const p = file.payload;
    const kind = nsKindOfFlag(p.ns_cflag) ?? `clone flag 0x${p.ns_cflag.toString(16)}`;
    return {
      kind: "ns",
      what: `${kind} namespace (ns id ${p.ns_id})`,
      flags,
      details: { namespace: kind, ns_id: p.ns_id },
    };
  },
};
