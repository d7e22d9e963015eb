/**
 * A socket whose name was deleted before the dump may find another file at
 * that name now (a FIFO made there later: zdtm fifo_upon_unix_socket; the
 * socket that took the name over, bound by this very restore:
 * del_standalone_un). criu
 * moves that occupant aside while it binds; so does fdrestore, and it never
 * removes it: the occupant is renamed (RENAME_NOREPLACE) to
 * `NAME.cr_aside.PID` in the same folder, and renamed back (RENAME_NOREPLACE)
 * once the socket's name is unlinked again, or when the restore ends,
 * whatever happened. A dry run moves nothing; --untrusted refuses.
 */
import {
  close,
  dupAbove,
  type Place,
  RENAME_NOREPLACE,
  renameAt2,
  type Stat,
  statPlace,
} from "../sys/mod.ts";
import { type OpenContext, stateSlot } from "./opener.ts";
import { RestoreError, why } from "../restore_error.ts";

interface Aside {
  dir: number;
  name: string;
  aside: string;
  st: Stat;
}

/** Occupants this restore moved aside, by the socket's image path. */
const ASIDE = stateSlot(() => new Map<string, Aside>());

/** Moves the file at `place` (stat `st`) aside until {@link putBack}. */
export function moveAside(ctx: OpenContext, place: Place, st: Stat): void {
  if (ctx.untrusted) {
    throw new RestoreError(
      `Can't bind ${place.path}: another file is there now; --untrusted moves nothing aside`,
    );
  }
  const byPath = ctx.state(ASIDE);
  const aside = `${place.name}.cr_aside.${Deno.pid}`;
  const dir = dupAbove(place.dir, 3);
  try {
    renameAt2(place.dir, place.name, place.dir, aside, RENAME_NOREPLACE);
  } catch (e) {
    close(dir);
    throw new RestoreError(`Can't move ${place.path} aside to bind a socket there: ${why(e)}`, {}, {
      cause: e,
    });
  }
  ctx.log.info(`unix: ${place.path} moved aside to ${aside} while its socket is bound`);
  const entry = { dir, name: place.name, aside, st };
  byPath.set(place.path, entry);
  const map = byPath;
  ctx.onCleanup(() => putBackEntry(ctx, map, place.path, entry));
}

/** Gives the name back to the file moved aside for `path`, if any. */
export function putBack(ctx: OpenContext, path: string): void {
  const byPath = ctx.state(ASIDE);
  const entry = byPath.get(path);
  if (entry) putBackEntry(ctx, byPath, path, entry);
}

function putBackEntry(ctx: OpenContext, byPath: Map<string, Aside>, path: string, a: Aside): void {
  if (byPath.get(path) !== a) return;
  byPath.delete(path);
  try {
    const now = statPlace({ dir: a.dir, name: a.aside, path });
    if (now?.ino !== a.st.ino || now.dev !== a.st.dev) return; // not ours to move any more
    renameAt2(a.dir, a.aside, a.dir, a.name, RENAME_NOREPLACE);
    ctx.log.info(`unix: ${path} is back`);
  } catch (e) {
    // Never removed: it stays under the other name, which the warning names.
    ctx.log.warn(`unix: cannot give ${path} back its name; it is at ${a.aside}: ${why(e)}`);
  } finally {
    close(a.dir);
  }
}
