/** timerfds (TIMERFD): clock, interval and ticks. */
import { FD_TYPE } from "../model/mod.ts";
import type { FdTypeDescriptor } from "./descriptor.ts";

const CLOCKS: Readonly<Record<number, string>> = { 0: "realtime", 1: "monotonic", 7: "boottime" };

export const timerfdType: FdTypeDescriptor<typeof FD_TYPE.TIMERFD> = {
  type: FD_TYPE.TIMERFD,
  field: "tfd",
  kinds: ["timerfd"],
  describe: (_cp, file, flags) => {
    const p = file.payload;
    const clock = CLOCKS[p.clockid] ?? `clock ${p.clockid}`;
    const interval = `${p.isec}s${p.insec}ns`;
    return {
      kind: "timerfd",
      what: `timerfd ${clock}, interval ${interval}, ticks ${p.ticks}`,
      flags,
      details: { clock, ticks: String(p.ticks), interval },
    };
  },
};
