/**
 * timerfd (CRIU's timerfd.c): a new timerfd on the dumped clock, status flags
 * and owner, armed with the time that was left and the interval, and given
 * back its unread expiry count (TFD_IOC_SET_TICKS). CRIU arms at the very end
 * of its restore; here it happens at open, moments before the program starts.
 */
import {
  clockGettime,
  close,
  TFD,
  timerfdCreate,
  timerfdSetTicks,
  timerfdSettime,
} from "../sys/mod.ts";
import type { TimerfdEntry } from "../image/mod.ts";
import { FD_TYPE, type FileOf } from "../model/mod.ts";
import type { FileOpener, OpenContext, OpenResult } from "./opener.ts";
import { withFileParams } from "./params.ts";
import { RestoreError } from "../restore_error.ts";

const NS = 1_000_000_000n;

/** What timerfd_entry holds about the timer itself. */
export interface TimerState {
  clockid: number;
  settimeFlags: number;
  /** Time left until the next expiry (0: disarmed), and the period. */
  valueNs: bigint;
  intervalNs: bigint;
  ticks: bigint;
}

export function timerState(
  p: Pick<
    TimerfdEntry,
    "clockid" | "settime_flags" | "vsec" | "vnsec" | "isec" | "insec" | "ticks"
  >,
): TimerState {
  return {
    clockid: p.clockid,
    settimeFlags: p.settime_flags,
    valueNs: p.vsec * NS + p.vnsec,
    intervalNs: p.isec * NS + p.insec,
    ticks: p.ticks,
  };
}

/**
 * Arms `fd` as dumped. The image stores time *left* even for an absolute
 * timer (timerfd_gettime), so an absolute one is re-based on the clock's now.
 * A disarmed absolute timer stays disarmed (CRIU would arm it at "now").
 */
export function armTimer(fd: number, t: TimerState, fileId = 0): void {
  let value = t.valueNs;
  if ((t.settimeFlags & TFD.TIMER_ABSTIME) !== 0 && value > 0n) {
    value += clockGettime(t.clockid);
  }
  timerfdSettime(fd, t.settimeFlags, { valueNs: value, intervalNs: t.intervalNs });
  if (t.ticks > 0n) {
    try {
      timerfdSetTicks(fd, t.ticks);
    } catch (e) {
      throw new RestoreError(
        `Can't restore ticks ${t.ticks} of timerfd id 0x${fileId.toString(16)} ` +
          `(TFD_IOC_SET_TICKS needs a kernel with CONFIG_CHECKPOINT_RESTORE): ` +
          (e instanceof Error ? e.message : String(e)),
        { fileId },
        { cause: e },
      );
    }
  }
}

export const timerfdOpener: FileOpener<typeof FD_TYPE.TIMERFD> = {
  type: FD_TYPE.TIMERFD,
  open(ctx: OpenContext, file: FileOf<typeof FD_TYPE.TIMERFD>): OpenResult {
    const p = file.payload;
    const t = timerState(p);
    const fd = withFileParams(ctx, timerfdCreate(t.clockid, 0), p.flags, p.fown);
    try {
      armTimer(fd, t, file.id);
    } catch (e) {
      close(fd);
      throw e;
    }
    return fd;
  },
};
