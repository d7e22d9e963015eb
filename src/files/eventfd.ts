/**
 * eventfd (CRIU's eventfd.c): a new eventfd holding the dumped counter, then
 * status flags and owner. The image keeps no EFD_SEMAPHORE, so a semaphore
 * eventfd comes back as a plain one, as with criu.
 */
import { close, eventfd, writeAll } from "../sys/mod.ts";
import { FD_TYPE, type FileOf } from "../model/mod.ts";
import type { FileOpener, OpenContext, OpenResult } from "./opener.ts";
import { withFileParams } from "./params.ts";

const U32_MAX = 0xffff_ffffn;

/** A new eventfd with count `counter` (eventfd() takes only 32 bits; larger ones are written). */
export function createEventfd(counter: bigint): number {
  const small = counter <= U32_MAX;
  const fd = eventfd(small ? Number(counter) : 0, 0);
  if (!small) {
    try {
      const buf = new Uint8Array(8);
      new DataView(buf.buffer).setBigUint64(0, counter, true);
      writeAll(fd, buf);
    } catch (e) {
      close(fd);
      throw e;
    }
  }
  return fd;
}

export const eventfdOpener: FileOpener<typeof FD_TYPE.EVENTFD> = {
  type: FD_TYPE.EVENTFD,
  open(ctx: OpenContext, file: FileOf<typeof FD_TYPE.EVENTFD>): OpenResult {
    const p = file.payload;
    const fd = createEventfd(p.counter);
    return withFileParams(ctx, fd, p.flags, p.fown);
  },
};
