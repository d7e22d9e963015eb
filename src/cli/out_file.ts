/**
 * Output files (--log-file, --pidfile, --pid-map, decode -o) made safely as
 * root in folders others may write to: the folder is opened once as an fd;
 * the content goes into a new file with an unpredictable name, created with
 * O_EXCL|O_NOFOLLOW (a planted name or symlink fails instead of being
 * followed); the file is then renamed over the wanted name. So nothing is ever
 * written through an existing file, and only a regular file of ours is
 * replaced: a symlink, a device, a FIFO or another user's file is refused.
 *
 * @module
 */
import { OutputError } from "../errors.ts";
import type { LogSink } from "../log.ts";
import {
  closeQuietly,
  errnoText,
  fstat,
  geteuid,
  O,
  open,
  openat,
  renameAt,
  S_IF,
  type Stat,
  statAt,
  SysError,
  unlinkAt,
  writeAll,
} from "../sys/mod.ts";

/** What is at a name that is not a regular file, for the refusal. */
const KINDS: Record<number, string> = {
  [S_IF.SOCK]: "a socket",
  [S_IF.LNK]: "a symbolic link",
  [S_IF.BLK]: "a block device",
  [S_IF.DIR]: "a folder",
  [S_IF.CHR]: "a character device",
  [S_IF.FIFO]: "a FIFO",
};

function errnoPart(e: unknown): string {
  if (e instanceof SysError) return `${e.code} (${errnoText(e.errno)})`;
  return e instanceof Error ? e.message : String(e);
}

/** Why the entry `st` may not be replaced, or undefined when it may (absent, or ours). */
function refusal(st: Stat | undefined, uid: number): string | undefined {
  if (st === undefined) return undefined;
  const kind = st.mode & S_IF.MT;
  if (kind !== S_IF.REG) return `${KINDS[kind] ?? "not a regular file"} is there`;
  if (st.uid !== uid) return `a file of uid ${st.uid} is there, not ours (uid ${uid})`;
  return undefined;
}

export class OutFile {
  #dir: number;
  readonly #name: string;
  readonly #tmp: string;
  #fd: number;
  #made: Stat;
  #committed = false;

  private constructor(
    readonly label: string,
    readonly path: string,
    dir: number,
    name: string,
    tmp: string,
    fd: number,
  ) {
    this.#dir = dir;
    this.#name = name;
    this.#tmp = tmp;
    this.#fd = fd;
    this.#made = fstat(fd);
  }

  /**
   * Opens the folder of `path` and makes the new file in it, or throws an
   * {@link OutputError} naming `label` (the option) and what is wrong. Nothing
   * is visible at `path` before {@link commit}.
   */
  static create(label: string, path: string): OutFile {
    const fail = (why: string, cause?: unknown) =>
      new OutputError(`${label} ${path}: ${why}`, { cause });
    const slash = path.lastIndexOf("/");
    const name = path.slice(slash + 1);
    const folder = slash < 0 ? "." : slash === 0 ? "/" : path.slice(0, slash);
    if (name === "" || name === "." || name === "..") throw fail("names a folder, not a file");
    let dir: number;
    try {
      dir = open(folder, O.PATH | O.DIRECTORY | O.CLOEXEC);
    } catch (e) {
      throw fail(`cannot open its folder ${folder}: ${errnoPart(e)}`, e);
    }
    try {
      const no = refusal(statAt(dir, name), geteuid());
      if (no) throw fail(`${no}; refusing to replace it`);
      // 64 random bits: a name nobody can plant in advance (O_EXCL refuses it anyway).
      const hex = [...crypto.getRandomValues(new Uint8Array(8))]
        .map((b) => b.toString(16).padStart(2, "0")).join("");
      const tmp = `.${name.slice(0, 200)}.${hex}`;
      let fd: number;
      try {
        fd = openat(dir, tmp, O.WRONLY | O.CREAT | O.EXCL | O.NOFOLLOW | O.CLOEXEC, 0o644);
      } catch (e) {
        throw fail(`cannot create a file in ${folder}: ${errnoPart(e)}`, e);
      }
      return new OutFile(label, path, dir, name, tmp, fd);
    } catch (e) {
      closeQuietly(dir);
      if (e instanceof OutputError) throw e;
      throw fail(errnoPart(e), e);
    }
  }

  /** Appends `data` (before or after commit). */
  write(data: Uint8Array): void {
    try {
      writeAll(this.#fd, data);
    } catch (e) {
      throw new OutputError(`${this.label} ${this.path}: cannot write: ${errnoPart(e)}`, {
        cause: e,
      });
    }
  }

  /** Puts the file at its name, replacing a regular file of ours there. */
  commit(): void {
    try {
      const no = refusal(statAt(this.#dir, this.#name), geteuid());
      if (no) throw new Error(`${no}; refusing to replace it`);
      renameAt(this.#dir, this.#tmp, this.#name);
    } catch (e) {
      throw new OutputError(`${this.label} ${this.path}: ${errnoPart(e)}`, { cause: e });
    }
    this.#committed = true;
  }

  /** Keeps the output and releases its descriptors. Safe to call twice. */
  close(): void {
    closeQuietly(this.#fd);
    closeQuietly(this.#dir);
    this.#fd = this.#dir = -1;
  }

  /**
   * Removes what this run made (the new file, under whichever name it has
   * now) if that name still holds it, and releases the descriptors.
   */
  discard(): void {
    const name = this.#committed ? this.#name : this.#tmp;
    if (this.#dir < 0) return;
    try {
      const st = statAt(this.#dir, name);
      if (st && st.ino === this.#made.ino && st.dev === this.#made.dev) unlinkAt(this.#dir, name);
    } catch {
      // best effort: the rollback's own error is the one to report
    }
    this.close();
  }
}

/**
 * The sink of `--log-file`: a new file put at its name at once (so it keeps
 * the log of a failed run), appended to line by line. A write that fails
 * later (disk full) sends the rest of the log to `fallback`, after one line
 * saying why: a log line never aborts a restore halfway.
 */
export function logFileSink(path: string, fallback: LogSink): LogSink {
  const out = OutFile.create("--log-file", path);
  try {
    out.commit();
  } catch (e) {
    out.discard();
    throw e;
  }
  const encoder = new TextEncoder();
  let failed = false;
  return (line) => {
    if (!failed) {
      try {
        return out.write(encoder.encode(line));
      } catch (e) {
        failed = true;
        out.close();
        fallback(`fdrestore: ${(e as Error).message}; the log goes to stderr from here\n`);
      }
    }
    fallback(line);
  };
}
