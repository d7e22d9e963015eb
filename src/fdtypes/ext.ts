/** files of a criu plugin (EXT): no description and no opener yet; `show` gives them a generic line. */
import { FD_TYPE } from "../model/mod.ts";
import type { FdTypeDescriptor } from "./descriptor.ts";

export const extType: FdTypeDescriptor<typeof FD_TYPE.EXT> = {
  type: FD_TYPE.EXT,
  field: "ext",
  kinds: [],
};
