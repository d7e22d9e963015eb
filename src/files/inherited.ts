/**
 * criu's inherited-fd lookup for one file, keyed by its type's `--inherit-fd`
 * key (its descriptor in src/fdtypes/): openers never derive a key themselves.
 */
import { inheritKeyOf } from "../fdtypes/mod.ts";
import type { FileDesc } from "../model/mod.ts";
import type { TakenFd } from "../inherit/mod.ts";
import type { OpenContext } from "./opener.ts";
import { RestoreError } from "../restore_error.ts";

/** `file`'s `--inherit-fd` key, or "?" when the type has none (for messages). */
export function keyOf(ctx: OpenContext, file: FileDesc): string {
  return inheritKeyOf(ctx.cp, file) ?? "?";
}

/** The caller's descriptor given for `file` (a fresh duplicate the opener owns), if any. */
export function inherited(ctx: OpenContext, file: FileDesc): TakenFd | undefined {
  const key = inheritKeyOf(ctx.cp, file);
  return key === undefined ? undefined : ctx.inherit.take(key);
}

/** Whether the caller gave a descriptor for `file`, without taking it. */
export function isInherited(ctx: OpenContext, file: FileDesc): boolean {
  const key = inheritKeyOf(ctx.cp, file);
  return key !== undefined && ctx.inherit.has(key);
}

/** A file dumped as external (`name` its path) for which no descriptor was given. */
export function externalMissing(ctx: OpenContext, file: FileDesc, name: string): RestoreError {
  return new RestoreError(
    `File ${name} was dumped as external; pass it with --inherit-fd fd[N]:${keyOf(ctx, file)}`,
    { fileId: file.id },
  );
}
