/**
 * The `--inherit-fd` key of a modelled file, as criu builds it; shared by
 * `show` and the restore.
 */
import { memfdKey, pipeKey, regFileKey, socketKey, ttyKey } from "../inherit/keys.ts";
import { type Checkpoint, FD_TYPE, type FileDesc, fileOf } from "./types.ts";

/** The key criu compares `--inherit-fd fd[N]:KEY` with, or undefined for types without one. */
export function inheritKeyOf(cp: Checkpoint, file: FileDesc): string | undefined {
  switch (file.type) {
    case FD_TYPE.REG:
      return regFileKey(file.payload.name, file.payload.ext === true);
    case FD_TYPE.PIPE:
      return pipeKey(file.payload.pipe_id);
    case FD_TYPE.UNIXSK:
      return socketKey(file.payload.ino);
    case FD_TYPE.FIFO: {
      // The FIFO's path is in a REG entry: regf_id, or the FIFO's own id.
      const reg = fileOf(cp, FD_TYPE.REG, file.payload.regf_id ?? file.id);
      return reg ? regFileKey(reg.payload.name, reg.payload.ext === true) : undefined;
    }
    case FD_TYPE.TTY: {
      const info = cp.ttyInfo.get(file.payload.tty_info_id);
      return info ? ttyKey(info.rdev, info.dev ?? 0) : undefined;
    }
    case FD_TYPE.MEMFD: {
      const inode = cp.memfdInodes.get(BigInt(file.payload.inode_id)); // u32 here, u64 there
      return inode ? memfdKey(inode.name) : undefined;
    }
    default:
      return undefined;
  }
}
