/**
 * The grammar of one `--inherit-fd` argument: `fd[N]:KEY` or `debug[N]:TEXT`.
 *
 * criu reads it with `sscanf(s, "[%d]:")` after the prefix and takes KEY from the
 * first colon of the whole argument. We accept every argument criu reads the
 * way its author meant, and are stricter in three places where criu accepts
 * by accident (each would otherwise hide a typo):
 *
 * - `]:` must follow the digits directly (criu ignores what follows `[N`, so
 *   `fd[3 junk:k` and `fd[3:k` pass there);
 * - no `-` sign at all (criu takes `fd[-0]:k` as fd 0);
 * - N must fit in a C int (criu's `%d` silently wraps larger numbers).
 *
 * Like criu we accept blanks (C `isspace`) and a `+` before the digits, leading
 * zeros, and colons inside KEY.
 *
 * @module
 */

import { InheritFdError } from "./error.ts";

/** One parsed argument. `debug` entries are written at once, never added to the table. */
export interface InheritFdArg {
  kind: "fd" | "debug";
  /** N: the tool's own descriptor. */
  fd: number;
  /** KEY for `fd`, TEXT for `debug`: everything after the first colon. */
  key: string;
  /** The argument as given. */
  arg: string;
}

const INT_MAX = 2 ** 31 - 1;
const GRAMMAR = /^(fd|debug)\[[ \t\n\v\f\r]*\+?([0-9]+)\]:/;

/** Parses `fd[N]:KEY` / `debug[N]:TEXT`; throws `Invalid inherit fd argument: ARG`. */
export function parseInheritFdArg(arg: string): InheritFdArg {
  const m = GRAMMAR.exec(arg);
  const key = m ? arg.slice(m[0].length) : "";
  const fd = m ? Number(m[2]) : -1;
  if (!m || key === "" || fd > INT_MAX) {
    throw new InheritFdError(`Invalid inherit fd argument: ${arg}`, { arg });
  }
  return { kind: m[1] === "fd" ? "fd" : "debug", fd, key, arg };
}
