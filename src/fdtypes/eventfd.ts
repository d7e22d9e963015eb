/** eventfds (EVENTFD): a counter. */
import { FD_TYPE } from "../model/mod.ts";
import type { FdTypeDescriptor } from "./descriptor.ts";

export const eventfdType: FdTypeDescriptor<typeof FD_TYPE.EVENTFD> = {
  type: FD_TYPE.EVENTFD,
  field: "efd",
  kinds: ["eventfd"],
  describe: (_cp, file, flags) => ({
    kind: "eventfd",
    what: `eventfd, count ${file.payload.counter}`,
    flags,
    details: { counter: String(file.payload.counter) },
  }),
};
