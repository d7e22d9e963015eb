/** memfds (MEMFD): named by their inode's entry in memfd.img. */
import type { MemfdInodeEntry } from "../image/mod.ts";
import { type Checkpoint, FD_TYPE, type FileOf } from "../model/mod.ts";
import { memfdKey } from "../inherit/keys.ts";
import type { FdTypeDescriptor } from "./descriptor.ts";

export const memfdType: FdTypeDescriptor<typeof FD_TYPE.MEMFD> = {
  type: FD_TYPE.MEMFD,
  field: "memfd",
  kinds: ["memfd"],
  describe: (cp, file, flags) => {
    const inode = inodeOf(cp, file);
    const name = inode ? inode.name : "?";
    return {
      kind: "memfd",
      what: `memfd:${name}${inode ? `, ${inode.size} bytes` : ""}`,
      flags,
      pos: String(file.payload.pos),
      details: { name },
    };
  },
  inheritKey: (cp, file) => {
    const inode = inodeOf(cp, file);
    return inode ? memfdKey(inode.name) : undefined;
  },
};

function inodeOf(cp: Checkpoint, file: FileOf<typeof FD_TYPE.MEMFD>): MemfdInodeEntry | undefined {
  return cp.memfdInodes.get(BigInt(file.payload.inode_id)); // u32 here, u64 in memfd.img
}
