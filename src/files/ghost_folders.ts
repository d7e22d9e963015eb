/**
 * The folder of a ghost that was deleted with its folders (zdtm rmdir_open:
 * `DIR/sub` opened, then `sub` and `DIR` removed). criu makes the missing
 * folders and leaves them; here they are made with no permission bits, one
 * `mkdirat` at a time below the deepest folder that exists (looked up inside
 * the root), and removed again, deepest first, once the ghost lost its name:
 * the restored fd then shows `DIR/sub (deleted)` as it did at dump time.
 */
import {
  close,
  closePlace,
  ERRNO,
  fstat,
  mkdirAt,
  O,
  openat,
  openInRoot,
  openPlace,
  type Place,
  rmdirAt,
  type Stat,
  statAt,
  SysError,
} from "../sys/mod.ts";

/** A folder this run made: its parent's descriptor, its name and its inode. */
interface Made {
  dir: number;
  name: string;
  st: Stat;
}

/** The ghost's place, and the folders made for it ({@link removeFolders} undoes them). */
export interface GhostPlace {
  place: Place;
  made: Made[];
}

/**
 * The held folder of `path` inside `root`, made when missing (not in a dry
 * run: undefined then, after checking that what exists resolves).
 */
export function ghostPlace(root: string, path: string, dryRun: boolean): GhostPlace | undefined {
  try {
    const place = openPlace(root, path);
    if (dryRun) closePlace(place);
    return dryRun ? undefined : { place, made: [] };
  } catch (e) {
    if (!(e instanceof SysError && e.errno === ERRNO.ENOENT)) throw e;
  }
  const parts = path.split("/").filter((s) => s !== "" && s !== ".");
  const name = parts.pop()!;
  if (parts.includes("..")) throw new SysError("open", ERRNO.ENOENT, [path]);
  let have = parts.length;
  let dir = -1;
  while (dir < 0) {
    have--;
    try {
      dir = openInRoot(
        root,
        "/" + parts.slice(0, have).join("/"),
        O.PATH | O.DIRECTORY | O.CLOEXEC,
      );
    } catch (e) {
      if (!(e instanceof SysError && e.errno === ERRNO.ENOENT) || have === 0) throw e;
    }
  }
  if (dryRun) {
    close(dir);
    return undefined;
  }
  const made: Made[] = [];
  try {
    for (const part of parts.slice(have)) {
      mkdirAt(dir, part, 0);
      const sub = openat(dir, part, O.PATH | O.DIRECTORY | O.NOFOLLOW | O.CLOEXEC);
      made.push({ dir, name: part, st: fstat(sub) });
      dir = sub;
    }
  } catch (e) {
    close(dir);
    removeFolders(made);
    throw e;
  }
  return { place: { dir, name, path }, made };
}

/** Removes the folders made for a ghost, deepest first, each only while it is that empty folder. */
export function removeFolders(made: Made[]): void {
  for (const m of made.splice(0).reverse()) {
    try {
      const now = statAt(m.dir, m.name);
      if (now && now.dev === m.st.dev && now.ino === m.st.ino) rmdirAt(m.dir, m.name);
    } finally {
      close(m.dir);
    }
  }
}
