/**
 * The `--inherit-fd` key of a modelled file, as criu builds it; shared by
 * `show` and the restore.
 */
import { memfdKey, pipeKey, regFileKey, socketKey, ttyKey } from "../inherit/keys.ts";
import { type Checkpoint, FD_TYPE, type FileDesc, fileKey } from "./types.ts";

/** The key criu compares `--inherit-fd fd[N]:KEY` with, or undefined for types without one. */
export function inheritKeyOf(cp: Checkpoint, file: FileDesc): string | undefined {
  const p = file.payload;
  switch (file.type) {
    case FD_TYPE.REG:
      return regFileKey(String(p.name), p.ext === true);
    case FD_TYPE.PIPE:
      return pipeKey(p.pipe_id as number);
    case FD_TYPE.UNIXSK:
      return socketKey(p.ino as number);
    case FD_TYPE.FIFO: {
      // The FIFO's path is in a REG entry: regf_id, or the FIFO's own id.
      const reg = cp.files.get(fileKey(FD_TYPE.REG, Number(p.regf_id ?? file.id)));
      return reg ? regFileKey(String(reg.payload.name), reg.payload.ext === true) : undefined;
    }
    case FD_TYPE.TTY: {
      const info = cp.ttyInfo.get(Number(p.tty_info_id));
      return info ? ttyKey(info.rdev as number, (info.dev ?? 0) as number) : undefined;
    }
    case FD_TYPE.MEMFD: {
      const inode = p.inode_id === undefined
        ? undefined
        : cp.memfdInodes.get(BigInt(p.inode_id as bigint));
      return inode ? memfdKey(String(inode.name)) : undefined;
    }
    default:
      return undefined;
  }
}
