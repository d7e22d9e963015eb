/** pidfds (PIDFD): the task they refer to, or an ended process. */
import { FD_TYPE } from "../model/mod.ts";
import type { FdTypeDescriptor } from "./descriptor.ts";

export const pidfdType: FdTypeDescriptor<typeof FD_TYPE.PIDFD> = {
  type: FD_TYPE.PIDFD,
  field: "pidfd",
  kinds: ["pidfd"],
  describe: (cp, file, recorded) => {
    const p = file.payload;
    // criu records a pidfd's flags without O_RDWR, which every pidfd has.
    const flags = (recorded ?? 0) | 2;
    const pid = p.nspid;
    const details = { pid, ino: p.ino };
    if (pid === -1) {
      const what = `pidfd of an ended process (inode ${p.ino})`;
      return { kind: "pidfd", what, flags, details };
    }
    const known = cp.tasks.some((t) => t.pid === pid);
    const what = `pidfd of task ${pid}${known ? "" : " (not in the images)"}`;
    return { kind: "pidfd", what, flags, details };
  },
};
