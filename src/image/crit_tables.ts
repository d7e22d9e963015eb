/**
 * Value tables crit uses in pretty mode, as in CRIU 4.1.1's crit (the version
 * that wrote our corpus). Flag tables are ordered: names print in this order.
 */

export type FlagTable = readonly (readonly [string, number])[];

/** Flag tables by the name a field's `(view).flags` option gives. */
export const FLAG_TABLES: Readonly<Record<string, FlagTable>> = {
  "mmap.prot": [["PROT_READ", 0x1], ["PROT_WRITE", 0x2], ["PROT_EXEC", 0x4]],
  "mmap.flags": [
    ["MAP_SHARED", 0x1],
    ["MAP_PRIVATE", 0x2],
    ["MAP_ANON", 0x20],
    ["MAP_GROWSDOWN", 0x100],
  ],
  "mmap.status": [
    ["VMA_AREA_NONE", 0],
    ["VMA_AREA_REGULAR", 1 << 0],
    ["VMA_AREA_STACK", 1 << 1],
    ["VMA_AREA_VSYSCALL", 1 << 2],
    ["VMA_AREA_VDSO", 1 << 3],
    ["VMA_AREA_HEAP", 1 << 5],
    ["VMA_FILE_PRIVATE", 1 << 6],
    ["VMA_FILE_SHARED", 1 << 7],
    ["VMA_ANON_SHARED", 1 << 8],
    ["VMA_ANON_PRIVATE", 1 << 9],
    ["VMA_AREA_SYSVIPC", 1 << 10],
    ["VMA_AREA_SOCKET", 1 << 11],
    ["VMA_AREA_VVAR", 1 << 12],
    ["VMA_AREA_AIORING", 1 << 13],
    ["VMA_AREA_MEMFD", 1 << 14],
    ["VMA_AREA_SHSTK", 1 << 15],
    ["VMA_UNSUPP", 2 ** 31],
  ],
  "rfile.flags": [
    ["O_WRONLY", 0o1],
    ["O_RDWR", 0o2],
    ["O_CREAT", 0o100],
    ["O_EXCL", 0o200],
    ["O_NOCTTY", 0o400],
    ["O_TRUNC", 0o1000],
    ["O_APPEND", 0o2000],
    ["O_NONBLOCK", 0o4000],
    ["O_DSYNC", 0o10000],
    ["FASYNC", 0o20000],
    ["O_DIRECT", 0o40000],
    ["O_LARGEFILE", 0o100000],
    ["O_DIRECTORY", 0o200000],
    ["O_NOFOLLOW", 0o400000],
    ["O_NOATIME", 0o1000000],
    ["O_CLOEXEC", 0o2000000],
  ],
  "pmap.flags": [["PE_PARENT", 1 << 0], ["PE_LAZY", 1 << 1], ["PE_PRESENT", 1 << 2]],
  "seals.flags": [
    ["F_SEAL_SEAL", 0x1],
    ["F_SEAL_SHRINK", 0x2],
    ["F_SEAL_GROW", 0x4],
    ["F_SEAL_WRITE", 0x8],
    ["F_SEAL_FUTURE_WRITE", 0x10],
  ],
};

/** Value tables by `(view).dict` name, then by field name. */
export const DICT_TABLES: Readonly<
  Record<string, Readonly<Record<string, Readonly<Record<number, string>>>>>
> = {
  gen: {
    task_state: { 1: "Alive", 3: "Zombie", 6: "Stopped" },
  },
  sk: {
    family: { 1: "UNIX", 2: "INET", 10: "INET6", 16: "NETLINK", 17: "PACKET" },
    type: { 1: "STREAM", 2: "DGRAM", 3: "RAW", 5: "SEQPACKET", 10: "PACKET" },
    state: {
      1: "ESTABLISHED",
      2: "SYN_SENT",
      3: "SYN_RECV",
      4: "FIN_WAIT1",
      5: "FIN_WAIT2",
      6: "TIME_WAIT",
      7: "CLOSE",
      8: "CLOSE_WAIT",
      9: "LAST_ACK",
      10: "LISTEN",
    },
    proto: { 0: "IP", 6: "TCP", 17: "UDP", 136: "UDPLITE" },
  },
};

/** `"A | B | 0x40"`: named bits in table order, then what is left in hex. */
export function flagsText(value: number, table: FlagTable): string {
  const names: string[] = [];
  let rest = value >>> 0;
  for (const [name, bit] of table) {
    if ((value & bit) !== 0) names.push(name);
    rest = (rest & ~bit) >>> 0;
  }
  if (rest !== 0) names.push("0x" + rest.toString(16));
  return names.join(" | ");
}

/** "major:minor" of a device number, kernel (new) or glibc (old) layout. */
export function devText(value: number, old: boolean): string {
  if (!old) return `${value >>> 20}:${value & 0xfffff}`;
  const major = (value >>> 8) & 0xfff;
  const minor = (value & 0xff) | ((value >>> 12) & 0xfff00);
  return `${major}:${minor}`;
}

/** Python's `ipaddress` text of an address stored as network-order u32 words. */
export function ipText(words: readonly number[]): string {
  const bytes: number[] = [];
  for (const w of words.slice(0, words.length === 1 ? 1 : 4)) {
    bytes.push(w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24);
  }
  if (words.length === 1) return bytes.join(".");
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] ?? 0) << 8 | (bytes[i + 1] ?? 0));
  // The first longest run of two or more zero groups becomes "::".
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hexes = groups.map((g) => g.toString(16));
  if (best < 0) return hexes.join(":");
  const head = hexes.slice(0, best).join(":");
  const tail = hexes.slice(best + bestLen).join(":");
  return `${head}::${tail}`;
}
