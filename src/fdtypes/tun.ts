/** tun devices (TUNF): no description and no opener yet; `show` gives them a generic line. */
import { FD_TYPE } from "../model/mod.ts";
import type { FdTypeDescriptor } from "./descriptor.ts";

export const tunfType: FdTypeDescriptor<typeof FD_TYPE.TUNF> = {
  type: FD_TYPE.TUNF,
  field: "tunf",
  kinds: [],
};
