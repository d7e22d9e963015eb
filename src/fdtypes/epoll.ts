/** epoll instances (EVENTPOLL): the fds they watch. */
import { FD_TYPE } from "../model/mod.ts";
import type { FdTypeDescriptor } from "./descriptor.ts";

export const epollType: FdTypeDescriptor<typeof FD_TYPE.EVENTPOLL> = {
  type: FD_TYPE.EVENTPOLL,
  field: "epfd",
  kinds: ["epoll"],
  describe: (_cp, file, flags) => {
    const targets = (file.payload.tfd ?? []).map((t) => t.tfd);
    return {
      kind: "epoll",
      what: `epoll on fds ${targets.join(",") || "none"}`,
      flags,
      details: { targets: targets.map(String) },
    };
  },
};
