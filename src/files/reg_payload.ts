/**
 * The reg_file_entry fields the openers of REG files, FIFOs and remaps read,
 * kept apart from reg.ts so that remap.ts needs no import of reg.ts.
 */
import type { FileDesc } from "../model/mod.ts";
import type { Fown } from "./params.ts";

export interface RegPayload {
  name: string;
  flags: number;
  pos?: bigint;
  size?: bigint;
  mode?: number;
  ext?: boolean;
  fown?: Fown;
}

export function regPayload(file: FileDesc): RegPayload {
  const p = file.payload;
  return {
    name: String(p.name),
    flags: Number(p.flags ?? 0),
    pos: p.pos === undefined ? undefined : BigInt(p.pos as bigint),
    size: p.size === undefined ? undefined : BigInt(p.size as bigint),
    mode: p.mode === undefined ? undefined : Number(p.mode),
    ext: p.ext === true,
    fown: p.fown as Fown | undefined,
  };
}
