/** Pipes (PIPE): one entry per end, both named by the pipe's id. */
import { FD_TYPE } from "../model/mod.ts";
import { pipeKey } from "../inherit/keys.ts";
import type { FdTypeDescriptor } from "./descriptor.ts";

export const pipeType: FdTypeDescriptor<typeof FD_TYPE.PIPE> = {
  type: FD_TYPE.PIPE,
  field: "pipe",
  kinds: ["pipe"],
  describe: (_cp, file, flags) => {
    const p = file.payload;
    return {
      kind: "pipe",
      what: `pipe:[${p.pipe_id}] ${(p.flags & 3) ? "write" : "read"} end`,
      flags,
      details: { pipe_id: p.pipe_id },
    };
  },
  inheritKey: (_cp, file) => pipeKey(file.payload.pipe_id),
};
