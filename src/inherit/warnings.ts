/**
 * What criu leaves silent: inherit keys that match no file (with the closest
 * real key as a hint), repeated keys, and regular-file keys whose match drops
 * the image's open mode and offset. `--inherit-fd-strict` makes a key that
 * matches nothing an error.
 *
 * @module
 */

import { log as defaultLog, type Logger } from "../log.ts";
import { InheritFdError } from "./error.ts";
import type { InheritEntry, InheritFdTable } from "./table.ts";

/** Levenshtein distance, two rows. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost);
    }
    prev = row;
  }
  return prev[b.length];
}

/** Likely intended spellings of KEY, most specific first (the known traps). */
function rewrites(key: string): string[] {
  const out: string[] = [];
  const k = key.replace(/ \(deleted\)$/, ""); // readlink of an unlinked file or memfd
  if (k !== key) out.push(k);
  // pipe[123] (crit, checkpointctl, criu 4.1.1's --help) and pipe:123
  const bracket = /^(pipe|socket)(?:\[|:)(\d+)\]?$/.exec(k);
  if (bracket) out.push(`${bracket[1]}:[${bracket[2]}]`);
  if (/^\d+$/.test(k)) out.push(`pipe:[${k}]`, `socket:[${k}]`);
  if (k === "/") out.push(".");
  if (k.startsWith("/") && !k.startsWith("/memfd:")) out.push(k.slice(1));
  if (k.startsWith("memfd:")) out.push(`/${k}`);
  // tty[RDEV:DEV] in decimal, upper case or with 0x
  const tty = /^tty\[(0x)?([0-9a-fA-F]+):(0x)?([0-9a-fA-F]+)\]$/.exec(k);
  if (tty) {
    out.push(`tty[${tty[2].toLowerCase()}:${tty[4].toLowerCase()}]`);
    if (!tty[1] && !tty[3] && /^\d+$/.test(tty[2] + tty[4])) {
      out.push(`tty[${Number(tty[2]).toString(16)}:${Number(tty[4]).toString(16)}]`);
    }
  }
  return out;
}

/** The real key the user most likely meant by KEY, or undefined when none is close. */
export function suggestKey(key: string, allKeys: Iterable<string>): string | undefined {
  const keys = allKeys instanceof Set ? allKeys as Set<string> : new Set(allKeys);
  for (const candidate of rewrites(key)) {
    if (keys.has(candidate)) return candidate;
  }
  // a bare file name or a path tail: the one key that ends with it
  const tail = key.replace(/^\/+/, "");
  const tails = [...keys].filter((k) => k.endsWith(`/${tail}`));
  if (tail !== "" && tails.length === 1) return tails[0];
  let best: string | undefined;
  // at most a third of the key may differ, so a hint is never a random key
  let bestDistance = Math.max(1, Math.floor(key.length / 3)) + 1;
  for (const k of keys) {
    if (Math.abs(k.length - key.length) >= bestDistance) continue;
    const d = editDistance(key, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

/**
 * One warning per entry whose key matches no file of the images, e.g.
 * `--inherit-fd fd[3]:pipe[190085] matched no file in the images; did you mean pipe:[190085]?`
 */
export function unmatchedWarnings(table: InheritFdTable, allKeys: Iterable<string>): string[] {
  const keys = new Set(allKeys);
  return table.entries.filter((e) => !keys.has(e.key)).map((e) => {
    const hint = suggestKey(e.key, keys);
    return `--inherit-fd ${e.arg} matched no file in the images` +
      (hint === undefined ? "" : `; did you mean ${hint}?`);
  });
}

/** One warning per entry that repeats an earlier key: criu uses the first only. */
export function duplicateWarnings(table: InheritFdTable): string[] {
  return table.entries.filter((e) => e.duplicate).map((e) => {
    const first = table.lookup(e.key) as InheritEntry;
    return `--inherit-fd ${e.arg} repeats the key of ${first.arg}; ` +
      `only the first is used, inherit fd ${e.fd} is closed unused`;
  });
}

/** One warning per used entry whose key names a regular file (or FIFO by path). */
export function regularFileWarnings(
  table: InheritFdTable,
  regularKeys: Iterable<string>,
): string[] {
  const keys = new Set(regularKeys);
  return table.entries.filter((e) => !e.duplicate && keys.has(e.key)).map((e) =>
    `--inherit-fd ${e.arg} replaces a regular file: the program gets the caller's ` +
    `open mode, flags and offset, not the image's`
  );
}

export interface CheckKeysOptions {
  /** `--inherit-fd-strict`: a key that matches no file is an error. */
  strict?: boolean;
  logger?: Logger;
}

/**
 * Logs every warning above; with `strict`, throws an {@link InheritFdError}
 * (exit 4) naming the first unmatched key after logging all of them.
 */
export function checkInheritKeys(
  table: InheritFdTable,
  files: { all: Iterable<string>; regular?: Iterable<string> },
  options: CheckKeysOptions = {},
): void {
  const logger = options.logger ?? defaultLog;
  const unmatched = unmatchedWarnings(table, files.all);
  // Strict: the first one is the thrown error (printed once by main); the rest are logged.
  if (options.strict) unmatched.slice(1).forEach((w) => logger.error(w));
  else unmatched.forEach((w) => logger.warn(w));
  for (const w of duplicateWarnings(table)) logger.warn(w);
  for (const w of regularFileWarnings(table, files.regular ?? [])) logger.warn(w);
  if (options.strict && unmatched.length > 0) {
    const more = unmatched.length > 1 ? ` (and ${unmatched.length - 1} more)` : "";
    throw new InheritFdError(`${unmatched[0]}${more}`);
  }
}
