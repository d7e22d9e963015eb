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
import { FD_TYPE, type FileDesc } from "../model/mod.ts";
import type { FileOpener, OpenContext, OpenResult } from "./opener.ts";
import { type Fown, withFileParams } from "./params.ts";
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

export function timerState(p: Record<string, unknown>): TimerState {
  const big = (k: string) => BigInt((p[k] as bigint | number | undefined) ?? 0n);
  return {
    clockid: Number(p.clockid ?? 0),
    settimeFlags: Number(p.settime_flags ?? 0),
    valueNs: big("vsec") * NS + big("vnsec"),
    intervalNs: big("isec") * NS + big("insec"),
    ticks: big("ticks"),
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

export const timerfdOpener: FileOpener = {
  type: FD_TYPE.TIMERFD,
  open(ctx: OpenContext, file: FileDesc): OpenResult {
    const p = file.payload;
    const t = timerState(p);
    const fd = withFileParams(
      ctx,
      timerfdCreate(t.clockid, 0),
      Number(p.flags ?? 0),
      p.fown as Fown | undefined,
    );
    try {
      armTimer(fd, t, file.id);
    } catch (e) {
      close(fd);
      throw e;
    }
    return fd;
  },
};
