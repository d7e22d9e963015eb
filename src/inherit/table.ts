/**
 * The inherit-fd table: `--inherit-fd fd[N]:KEY` entries staged at parse time.
 *
 * Staging (decision 6, criu's fdstore): fstat N, record its identity, copy it
 * with close-on-exec to a high number, close N. From then on N is free for a
 * restored fd, the copy is private to the table, and every use hands out a
 * fresh duplicate that the caller owns. The table never gives out its own
 * copy, so nothing outside can close it; before each use the copy's identity
 * is checked again, so a copy replaced behind our back is refused, not used.
 *
 * @module
 */

import { log as defaultLog, type Logger } from "../log.ts";
// The modules, not src/sys/mod.ts: options.ts loads this table for every
// command, and show or decode need none of the sockets, spawn or exec code.
import { close, dupAbove, fstat, getFdFlags, writeAll } from "../sys/fd.ts";
import { FD_CLOEXEC } from "../sys/consts.ts";
import { errnoText, SysError } from "../sys/errno.ts";
import { InheritFdError } from "./error.ts";
import { parseInheritFdArg } from "./parse.ts";

/** What fstat says a descriptor is; a staged copy must keep it. */
export interface FdIdentity {
  dev: bigint;
  ino: bigint;
  mode: number;
  rdev: bigint;
}

/** A read-only view of one entry. */
export interface InheritEntry {
  /** The key, KEY of `fd[N]:KEY`. */
  readonly key: string;
  /** N: the number the caller gave us (closed after staging, except 0-2). */
  readonly fd: number;
  /** The argument as given (`fd[3]:pipe:[1]`), for messages. */
  readonly arg: string;
  /** The table's private copy (close-on-exec, >= stageBase); -1 once released. */
  readonly staged: number;
  readonly identity: FdIdentity;
  /** An earlier entry has the same key: this one is never used (criu: first wins). */
  readonly duplicate: boolean;
  /** How many duplicates {@link InheritFdTable.take} handed out. */
  readonly taken: number;
}

/** A duplicate handed out by {@link InheritFdTable.take}; the caller must close `fd`. */
export interface TakenFd {
  fd: number;
  key: string;
  /** N of `fd[N]`, for messages. */
  inheritFd: number;
}

export interface InheritFdTableOptions {
  /** Staged copies go at or above this number. Default {@link defaultStageBase}. */
  stageBase?: number;
  /**
   * Refuse an N that is close-on-exec (default true). Such an fd cannot have come
   * from the caller across exec: it is one of the runtime's own, and closing it
   * would break Deno. Library callers staging their own fds pass false.
   */
  callerFdsOnly?: boolean;
  logger?: Logger;
}

type Entry = { -readonly [K in keyof InheritEntry]: InheritEntry[K] };

const encoder = new TextEncoder();

/**
 * Half the soft RLIMIT_NOFILE, at most 10000: far above any fd a task is likely
 * to use, yet cheap (the kernel sizes the fd table to the highest number).
 */
export function defaultStageBase(): number {
  try {
    const limits = Deno.readTextFileSync("/proc/self/limits");
    const soft = Number(/^Max open files\s+(\d+)/m.exec(limits)?.[1]);
    if (soft > 0) return Math.max(64, Math.min(10_000, Math.floor(soft / 2)));
  } catch {
    // no /proc or no permission: fall through to a conservative number
  }
  return 512;
}

function sameIdentity(a: FdIdentity, b: FdIdentity): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.mode === b.mode && a.rdev === b.rdev;
}

function identityOf(fd: number): FdIdentity {
  const st = fstat(fd);
  return { dev: st.dev, ino: st.ino, mode: st.mode, rdev: st.rdev };
}

/** criu prints strerror text after these messages (pr_perror). */
function errText(e: unknown): string {
  return e instanceof SysError ? errnoText(e.errno) : String(e);
}

/** Writes TEXT of `debug[N]:TEXT` to N, no newline, as criu does while parsing. */
export function writeDebugMessage(fd: number, text: string): void {
  try {
    writeAll(fd, encoder.encode(text));
  } catch (e) {
    throw new InheritFdError(`Can't write debug message ${text} to inherit fd ${fd}`, {
      fd,
      key: text,
    }, { cause: e });
  }
}

export class InheritFdTable {
  readonly stageBase: number;
  readonly #callerFdsOnly: boolean;
  readonly #log: Logger;
  readonly #entries: Entry[] = [];
  #finished = false;

  constructor(options: InheritFdTableOptions = {}) {
    this.stageBase = options.stageBase ?? defaultStageBase();
    this.#callerFdsOnly = options.callerFdsOnly ?? true;
    this.#log = options.logger ?? defaultLog;
  }

  /**
   * Processes one `--inherit-fd` argument in command-line order: `debug[N]:TEXT`
   * is written now and returns undefined; `fd[N]:KEY` is staged and returned.
   */
  add(arg: string): InheritEntry | undefined {
    const parsed = parseInheritFdArg(arg);
    if (parsed.kind === "debug") {
      writeDebugMessage(parsed.fd, parsed.key);
      return undefined;
    }
    return this.stage(parsed.fd, parsed.key, arg);
  }

  /** Stages the caller's fd N for KEY (see the module doc). */
  stage(fd: number, key: string, arg = `fd[${fd}]:${key}`): InheritEntry {
    if (this.#finished) throw new Error("InheritFdTable: stage() after finish()");
    // N given twice (one fd for two keys): copy the earlier stage, N is closed already.
    const earlier = this.#entries.find((e) => e.fd === fd && e.staged >= 0);
    const source = earlier ? earlier.staged : fd;
    let identity: FdIdentity;
    try {
      identity = identityOf(source);
      if (!earlier && this.#callerFdsOnly && fd > 2 && (getFdFlags(fd) & FD_CLOEXEC) !== 0) {
        throw new InheritFdError(
          `Can't use inherit fd ${fd}: it is close-on-exec, so it was not inherited from the caller`,
          { arg, fd, key },
        );
      }
    } catch (e) {
      if (e instanceof InheritFdError) throw e;
      throw new InheritFdError(`Can't fstat inherit fd ${fd}: ${errText(e)}`, { arg, fd, key }, {
        cause: e,
      });
    }
    let staged: number;
    try {
      staged = dupAbove(source, this.stageBase);
    } catch (e) {
      throw new InheritFdError(
        `Can't stage inherit fd ${fd} at or above fd ${this.stageBase}: ${errText(e)}`,
        { arg, fd, key },
        { cause: e },
      );
    }
    // 0-2 stay open: if closed, the next open() would take the number and our
    // own stdout/stderr output would land in that file.
    if (!earlier && fd > 2) close(fd);
    const entry: Entry = {
      key,
      fd,
      arg,
      staged,
      identity,
      duplicate: this.#entries.some((e) => e.key === key),
      taken: 0,
    };
    this.#entries.push(entry);
    return entry;
  }

  /** Entries in command-line order. */
  get entries(): readonly InheritEntry[] {
    return this.#entries;
  }

  get size(): number {
    return this.#entries.length;
  }

  /** The entry used for KEY: the first with that key, as in criu. */
  lookup(key: string): InheritEntry | undefined {
    return this.#entries.find((e) => e.key === key);
  }

  has(key: string): boolean {
    return this.lookup(key) !== undefined;
  }

  /** True when N was given as `fd[N]` (whatever number its staged copy has). */
  isInheritedFd(fd: number): boolean {
    return this.#entries.some((e) => e.fd === fd);
  }

  /**
   * A fresh close-on-exec duplicate of the descriptor inherited for KEY, at or
   * above `minFd`; undefined when no entry has KEY. The caller owns and closes it.
   * Throws when the staged copy was closed or replaced behind the table's back.
   */
  take(key: string, minFd: number = this.stageBase): TakenFd | undefined {
    const entry = this.#entries.find((e) => e.key === key);
    if (!entry) return undefined;
    this.#verify(entry);
    const fd = dupAbove(entry.staged, minFd);
    entry.taken++;
    this.#log.debug(`Found id ${key} (fd ${entry.fd}) in inherit fd list`);
    return { fd, key, inheritFd: entry.fd };
  }

  #verify(entry: Entry): void {
    const where = `Inherit fd ${entry.fd} (key ${entry.key})`;
    if (entry.staged < 0) {
      throw new InheritFdError(`${where} is no longer held by fdrestore`, entry);
    }
    let now: FdIdentity;
    try {
      now = identityOf(entry.staged);
    } catch (e) {
      const staged = entry.staged;
      entry.staged = -1;
      throw new InheritFdError(
        `${where} was closed behind fdrestore's back (staged copy fd ${staged}: ${errText(e)})`,
        entry,
        { cause: e },
      );
    }
    if (!sameIdentity(now, entry.identity)) {
      const staged = entry.staged;
      entry.staged = -1; // the number now belongs to someone else: never close it
      throw new InheritFdError(
        `${where} was replaced behind fdrestore's back: staged copy fd ${staged} ` +
          `now refers to another file (ino ${now.ino}, was ${entry.identity.ino})`,
        entry,
      );
    }
  }

  /** Logs every entry as criu does once logging is up (info level). */
  log(logger: Logger = this.#log): void {
    for (const e of this.#entries) {
      logger.info(`File ${e.key} will be restored from inherit fd ${e.fd}`);
    }
  }

  /** One line per entry, for `-v` and `check`. */
  describe(): string[] {
    return this.#entries.map((e) => {
      const held = e.staged >= 0 ? `staged at fd ${e.staged}` : "released";
      const dup = e.duplicate ? ", duplicate key: never used" : "";
      return `inherit fd ${e.fd} -> ${e.key} (${held}, mode 0${
        e.identity.mode.toString(8)
      }, ino ${e.identity.ino}, used ${e.taken}x${dup})`;
    });
  }

  /**
   * Closes every staged copy (used or not) and returns the entries that were
   * never taken. A copy whose identity changed is left alone: its number is not
   * ours any more. Safe to call twice.
   */
  finish(): InheritEntry[] {
    for (const e of this.#entries) {
      if (e.staged < 0) continue;
      let mine = false;
      try {
        mine = sameIdentity(identityOf(e.staged), e.identity);
      } catch {
        // already closed
      }
      if (mine) close(e.staged);
      else this.#log.warn(`Inherit fd ${e.fd} (key ${e.key}) was replaced; not closing it`);
      e.staged = -1;
    }
    this.#finished = true;
    return this.#entries.filter((e) => e.taken === 0);
  }
}
