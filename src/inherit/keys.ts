/**
 * The `--inherit-fd` key of each file type, built exactly as criu builds it.
 *
 * The functions take plain values (numbers, bigints, strings) rather than image
 * objects, so `show` and the restore share them without depending on the image
 * reader. criu compares these strings with `fd[N]:KEY` by exact equality.
 *
 * @module
 */

/** A u32 field as C's `%u` prints it: images may come back as signed int32 or as bigint. */
function u32(value: number | bigint): bigint {
  return BigInt.asUintN(32, BigInt(value));
}

/** `pipe:[INO]` for either end of a pipe; INO is `pipe_entry.pipe_id`, unsigned decimal. */
export function pipeKey(pipeId: number | bigint): string {
  return `pipe:[${u32(pipeId)}]`;
}

/** `socket:[INO]` for a unix socket; INO is `unix_sk_entry.ino`, unsigned decimal. */
export function socketKey(ino: number | bigint): string {
  return `socket:[${u32(ino)}]`;
}

/**
 * A regular file's key: `reg_file_entry.name` minus its first character (the
 * leading `/`), and `.` for the root `/`. When the file was dumped as external
 * (`ext` set) the name already is the `file[MNT:INO]` key and is used whole.
 */
export function regFileKey(name: string, ext = false): string {
  if (ext) return name;
  return name.length <= 1 ? "." : name.slice(1);
}

/** A FIFO's key is the key of the REG entry that holds its path (`fifo_entry.regf_id`). */
export function fifoKey(regName: string, regExt = false): string {
  return regFileKey(regName, regExt);
}

/**
 * `file[MNT_HEX:INO_HEX]`, the string given to `criu dump --external` for a file;
 * the image stores it as the REG name, so {@link regFileKey} with `ext` returns it.
 */
export function externalFileKey(mntId: number | bigint, ino: number | bigint): string {
  return `file[${u32(mntId).toString(16)}:${BigInt.asUintN(64, BigInt(ino)).toString(16)}]`;
}

/**
 * `tty[RDEV_HEX:DEV_HEX]` from `tty_info_entry.rdev` and `.dev`: the dumped
 * terminal's device number and its filesystem's, glibc `dev_t` encoding cut to
 * 32 bits as criu stores them (e.g. `/dev/pts/0` on devpts 0x1a → `tty[8800:1a]`).
 */
export function ttyKey(rdev: number | bigint, dev: number | bigint): string {
  return `tty[${u32(rdev).toString(16)}:${u32(dev).toString(16)}]`;
}

/** `/memfd:NAME` from `memfd_inode_entry.name`; unlike paths it keeps its slash. */
export function memfdKey(name: string): string {
  return `/memfd:${name}`;
}

/** glibc's `makedev()`: the `dev_t` encoding `stat()` reports and tty keys print. */
export function makeDev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffn) << 8n) | ((ma & ~0xfffn) << 32n) | (mi & 0xffn) | ((mi & ~0xffn) << 12n);
}
