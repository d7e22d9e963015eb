/**
 * Files that were unlinked or renamed while open (remap-fpath.img): CRIU
 * saved either a hard link (linked remap) or the whole content (ghost file).
 */
import type { FileDesc } from "../model/mod.ts";
import type { OpenContext } from "./opener.ts";
import type { RegPayload } from "./reg.ts";
import { RestoreError } from "./restore_error.ts";

/** A descriptor for a remapped file, or undefined when `file` has no remap. */
export function openRemapped(
  ctx: OpenContext,
  file: FileDesc,
  reg: RegPayload,
): number | undefined {
  const remap = ctx.cp.remaps.get(file.id);
  if (!remap) return undefined;
  throw new RestoreError(
    `File ${reg.name} was deleted at dump time; restoring it is not supported yet`,
    {
      fileId: file.id,
    },
  );
}
