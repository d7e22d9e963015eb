/** BPF maps (BPFMAP): no description and no opener yet; `show` gives them a generic line. */
import { FD_TYPE } from "../model/mod.ts";
import type { FdTypeDescriptor } from "./descriptor.ts";

export const bpfmapType: FdTypeDescriptor<typeof FD_TYPE.BPFMAP> = {
  type: FD_TYPE.BPFMAP,
  field: "bpf",
  kinds: [],
};
