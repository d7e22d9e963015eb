/**
 * Namespace files (an fd of /proc/PID/ns/KIND; CRIU's NS type). The image
 * names the namespace by its id in ids-PID.img; like criu, a task of the
 * tree that lives in it tells which kind it is. fdrestore recreates no
 * namespace: every task it starts lives in fdrestore's own namespaces, so the
 * fd is a new open of fdrestore's namespace of that kind, which is the
 * restored task's.
 */
import { FD_TYPE, type FileOf, NS_CLONE_FLAG, nsKindOf } from "../model/mod.ts";
import { open } from "../sys/mod.ts";
import type { FileOpener, OpenContext, OpenResult } from "./opener.ts";
import { imageOpenFlags } from "./open_flags.ts";
import { hex, RestoreError } from "../restore_error.ts";

export const nsFileOpener: FileOpener<typeof FD_TYPE.NS> = {
  type: FD_TYPE.NS,
  open(ctx: OpenContext, file: FileOf<typeof FD_TYPE.NS>): OpenResult {
    const p = file.payload;
    const nsId = p.ns_id;
    const kind = nsKindOf(ctx.cp.tasks, nsId);
    // criu's own words for both refusals.
    if (kind === undefined) {
      throw new RestoreError(
        `Can't find suitable NS ID for ${hex(nsId)} (files.img id ${file.id})`,
      );
    }
    if (NS_CLONE_FLAG[kind] !== p.ns_cflag) {
      throw new RestoreError(`Clone flag mismatch for ${hex(nsId)} (${kind} namespace)`);
    }
    return open(`/proc/thread-self/ns/${kind}`, imageOpenFlags(p.flags));
  },
};
