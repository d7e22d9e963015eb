/** inotify instances (INOTIFY): their watches. */
import { FD_TYPE } from "../model/mod.ts";
import type { FdTypeDescriptor } from "./descriptor.ts";

export const inotifyType: FdTypeDescriptor<typeof FD_TYPE.INOTIFY> = {
  type: FD_TYPE.INOTIFY,
  field: "ify",
  kinds: ["inotify"],
  describe: (_cp, file, flags) => {
    const watches = file.payload.wd ?? [];
    return {
      kind: "inotify",
      what: `inotify, ${watches.length} watch${watches.length === 1 ? "" : "es"}`,
      flags,
      details: { watches: watches.length },
    };
  },
};
