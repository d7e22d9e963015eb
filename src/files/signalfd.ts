/**
 * signalfd (CRIU's signalfd.c): a new signalfd for the dumped mask, then
 * status flags and owner. Pending signals are process state, not the fd's.
 */
import { signalfd } from "../sys/mod.ts";
import { FD_TYPE, type FileOf } from "../model/mod.ts";
import type { FileOpener, OpenContext, OpenResult } from "./opener.ts";
import { withFileParams } from "./params.ts";

/** The signals of a sigmask (bit n-1 set = signal n). */
export function signalsOf(mask: bigint): number[] {
  const out: number[] = [];
  for (let n = 1; n <= 64; n++) if ((mask >> BigInt(n - 1)) & 1n) out.push(n);
  return out;
}

export const signalfdOpener: FileOpener<typeof FD_TYPE.SIGNALFD> = {
  type: FD_TYPE.SIGNALFD,
  open(ctx: OpenContext, file: FileOf<typeof FD_TYPE.SIGNALFD>): OpenResult {
    const p = file.payload;
    const fd = signalfd(-1, signalsOf(p.sigmask), 0);
    return withFileParams(ctx, fd, p.flags, p.fown);
  },
};
