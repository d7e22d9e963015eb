/**
 * Open-file status flags as numbers in images (x86-64 values) and how `show`
 * names them.
 */

export const O_ACCMODE = 0o3;
export const O_WRONLY = 0o1;
export const O_RDWR = 0o2;
export const O_PATH = 0o10000000;

/** Named status flags, most specific first (O_SYNC includes O_DSYNC). */
const STATUS_FLAGS: readonly [number, string][] = [
  [0o4010000, "sync"],
  [0o10000, "dsync"],
  [0o2000, "append"],
  [0o4000, "nonblock"],
  [0o20000, "async"],
  [0o40000, "direct"],
  [0o1000000, "noatime"],
  [0o200000, "directory"],
  [0o400000, "nofollow"],
  [0o400, "noctty"],
  [0o100000, "largefile"],
];

/** "r", "w", "rw" or "path" for open flags. */
export function accessMode(flags: number): string {
  if (flags & O_PATH) return "path";
  switch (flags & O_ACCMODE) {
    case O_WRONLY:
      return "w";
    case O_RDWR:
      return "rw";
    default:
      return "r";
  }
}

/** Names of the status flags set in `flags` (access mode and O_PATH excluded). */
export function statusFlagNames(flags: number): string[] {
  const names: string[] = [];
  let rest = flags & ~(O_ACCMODE | O_PATH);
  for (const [bits, name] of STATUS_FLAGS) {
    if ((rest & bits) === bits) {
      names.push(name);
      rest &= ~bits;
    }
  }
  if (rest !== 0) names.push("0" + rest.toString(8));
  return names;
}
