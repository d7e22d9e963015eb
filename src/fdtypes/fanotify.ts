/** fanotify instances (FANOTIFY): no description and no opener yet; `show` gives them a generic line. */
import { FD_TYPE } from "../model/mod.ts";
import type { FdTypeDescriptor } from "./descriptor.ts";

export const fanotifyType: FdTypeDescriptor<typeof FD_TYPE.FANOTIFY> = {
  type: FD_TYPE.FANOTIFY,
  field: "ffy",
  kinds: [],
};
