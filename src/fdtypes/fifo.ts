/** FIFOs (FIFO): a pipe whose path, flags and key are in a REG entry. */
import { type Checkpoint, FD_TYPE, type FileOf, fileOf, type RegFile } from "../model/mod.ts";
import type { FdTypeDescriptor } from "./descriptor.ts";
import { regKey } from "./reg.ts";

export const fifoType: FdTypeDescriptor<typeof FD_TYPE.FIFO> = {
  type: FD_TYPE.FIFO,
  field: "fifo",
  kinds: ["fifo"],
  describe: (cp, file) => {
    const reg = regOf(cp, file);
    const path = reg ? reg.payload.name : "?";
    return {
      kind: "fifo",
      what: `${path} (fifo)`,
      flags: reg?.payload.flags,
      details: { pipe_id: file.payload.pipe_id, path },
    };
  },
  inheritKey: (cp, file) => {
    const reg = regOf(cp, file);
    return reg ? regKey(reg) : undefined;
  },
};

/** The REG entry of a FIFO: regf_id, or the FIFO's own id. */
function regOf(cp: Checkpoint, file: FileOf<typeof FD_TYPE.FIFO>): RegFile | undefined {
  return fileOf(cp, FD_TYPE.REG, file.payload.regf_id ?? file.id);
}
