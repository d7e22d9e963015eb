/** Regular files, directories, devices... (REG): a path, maybe deleted and remapped. */
import { FD_TYPE, type RegFile } from "../model/mod.ts";
import { regFileKey } from "../inherit/keys.ts";
import type { FdTypeDescriptor, FileDescription } from "./descriptor.ts";

const S_IFMT = 0o170000;
const MODE_KIND: Readonly<Record<number, string>> = {
  0o040000: "dir",
  0o020000: "chr",
  0o060000: "blk",
  0o010000: "fifo",
  0o120000: "symlink",
  0o140000: "socket",
  0o100000: "file",
};

export const regType: FdTypeDescriptor<typeof FD_TYPE.REG> = {
  type: FD_TYPE.REG,
  field: "reg",
  kinds: Object.values(MODE_KIND),
  describe: (cp, file, flags) => {
    const p = file.payload;
    const name = p.name;
    const kind = p.mode === undefined ? "file" : MODE_KIND[p.mode & S_IFMT] ?? "file";
    const details: FileDescription["details"] = { path: name };
    let what = kind === "file" || kind === "dir" ? name : `${name} (${kind})`;
    const remap = cp.remaps.get(file.id);
    if (remap) {
      const type = ["linked", "ghost", "procfs"][remap.remap_type ?? 0] ?? "remapped";
      what += ` (deleted; ${type} copy in the images)`;
      details.remap = type;
    }
    if (p.size !== undefined) details.size = String(p.size);
    if (p.mode !== undefined) details.mode = "0" + p.mode.toString(8);
    if (p.ext === true) details.external = true;
    return { kind, what, flags, pos: String(p.pos), details };
  },
  inheritKey: (_cp, file) => regKey(file),
};

/** A REG file's key (also a FIFO's, whose path is a REG entry). */
export function regKey(file: RegFile): string {
  return regFileKey(file.payload.name, file.payload.ext === true);
}
