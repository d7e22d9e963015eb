/**
 * The `--inherit-fd` key of each fd type that has one, as criu builds it: the
 * one derivation `show`, the restore command and the openers all use.
 */
import { memfdKey, pipeKey, regFileKey, socketKey, ttyKey } from "../inherit/keys.ts";
import {
  type Checkpoint,
  FD_TYPE,
  type FileDesc,
  type FileOf,
  fileOf,
  type FileType,
} from "./types.ts";

type KeyOf<T extends FileType> = (cp: Checkpoint, file: FileOf<T>) => string | undefined;

/** One key derivation per type; a type missing here cannot be inherited. */
const INHERIT_KEYS: { readonly [T in FileType]?: KeyOf<T> } = {
  [FD_TYPE.REG]: (_cp, file) => regFileKey(file.payload.name, file.payload.ext === true),
  [FD_TYPE.PIPE]: (_cp, file) => pipeKey(file.payload.pipe_id),
  [FD_TYPE.UNIXSK]: (_cp, file) => socketKey(file.payload.ino),
  [FD_TYPE.FIFO]: (cp, file) => {
    // The FIFO's path is in a REG entry: regf_id, or the FIFO's own id.
    const reg = fileOf(cp, FD_TYPE.REG, file.payload.regf_id ?? file.id);
    return reg ? regFileKey(reg.payload.name, reg.payload.ext === true) : undefined;
  },
  [FD_TYPE.TTY]: (cp, file) => {
    const info = cp.ttyInfo.get(file.payload.tty_info_id);
    return info ? ttyKey(info.rdev, info.dev ?? 0) : undefined;
  },
  [FD_TYPE.MEMFD]: (cp, file) => {
    const inode = cp.memfdInodes.get(BigInt(file.payload.inode_id)); // u32 here, u64 there
    return inode ? memfdKey(inode.name) : undefined;
  },
};

/** The key criu compares `--inherit-fd fd[N]:KEY` with, or undefined for types without one. */
export function inheritKeyOf(cp: Checkpoint, file: FileDesc): string | undefined {
  return keyFor(cp, file);
}

function keyFor<T extends FileType>(cp: Checkpoint, file: FileOf<T>): string | undefined {
  const keyOf: KeyOf<T> | undefined = INHERIT_KEYS[file.type];
  return keyOf?.(cp, file);
}
