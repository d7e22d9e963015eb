/**
 * What one file of the dump is, in words and fields: the per-type part of
 * `show`. Each type is a small function; unknown types still get a line.
 */
import type { InetSkEntry, UnixSkEntry } from "../image/mod.ts";
import {
  type Checkpoint,
  FD_TYPE,
  fdTypeName,
  type FileDesc,
  type FileOf,
  fileOf,
  type FileType,
  nsKindOfFlag,
  type Payload,
  ptyPair,
  type RegFile,
  ttyFile,
  type TtyFileDesc,
} from "../model/mod.ts";

export interface FileDescription {
  /** A short class: file, dir, chr, blk, fifo, pipe, unix, tcp, udp, eventfd, ... */
  kind: string;
  /** One human line: a path, `pipe:[123] read end`, a socket address... */
  what: string;
  /** Open flags of the description, when the type records them. */
  flags?: number;
  /** File offset (u64 as a decimal string), for seekable types. */
  pos?: string;
  /** Access mode and status flag names, filled in by the report. */
  access?: string;
  flagNames?: string[];
  /** Type-specific facts for --json. */
  details: Record<string, string | number | boolean | string[]>;
}

const S_IFMT = 0o170000;
const MODE_KIND: Record<number, string> = {
  0o040000: "dir",
  0o020000: "chr",
  0o060000: "blk",
  0o010000: "fifo",
  0o120000: "symlink",
  0o140000: "socket",
  0o100000: "file",
};

/** Every `kind` {@link describeFile} gives (besides `proto N` for an odd inet socket). */
export const SHOW_KINDS: readonly string[] = [
  ...new Set([
    ...Object.values(MODE_KIND),
    ...["pipe", "fifo", "eventfd", "signalfd", "timerfd", "epoll", "inotify", "memfd"],
    ...["unix", "tcp", "udp", "netlink", "packet", "tty"],
    ...Object.keys(FD_TYPE).map((n) => n.toLowerCase()),
  ]),
];

const SOCK_TYPE: Record<number, string> = { 1: "stream", 2: "dgram", 3: "raw", 5: "seqpacket" };
const TCP_STATE: Record<number, string> = {
  1: "established",
  2: "syn-sent",
  3: "syn-recv",
  4: "fin-wait1",
  5: "fin-wait2",
  6: "time-wait",
  7: "close",
  8: "close-wait",
  9: "last-ack",
  10: "listen",
  11: "closing",
};
const CLOCKS: Record<number, string> = { 0: "realtime", 1: "monotonic", 7: "boottime" };

type Describe<T extends FileType> = (
  cp: Checkpoint,
  file: FileOf<T>,
  flags?: number,
) => FileDescription;

/** One description per fd type; a type missing here gets the generic line. */
const DESCRIBE: { readonly [T in FileType]?: Describe<T> } = {
  [FD_TYPE.REG]: (cp, file, flags) => describeReg(cp, file, flags),
  [FD_TYPE.PIPE]: (_cp, file, flags) => {
    const p = file.payload;
    return {
      kind: "pipe",
      what: `pipe:[${p.pipe_id}] ${(p.flags & 3) ? "write" : "read"} end`,
      flags,
      details: { pipe_id: p.pipe_id },
    };
  },
  [FD_TYPE.FIFO]: (cp, file) => {
    const p = file.payload;
    const reg = fileOf(cp, FD_TYPE.REG, p.regf_id ?? file.id);
    const path = reg ? reg.payload.name : "?";
    return {
      kind: "fifo",
      what: `${path} (fifo)`,
      flags: reg?.payload.flags,
      details: { pipe_id: p.pipe_id, path },
    };
  },
  [FD_TYPE.UNIXSK]: (_cp, file, flags) => describeUnix(file.payload, flags),
  [FD_TYPE.INETSK]: (_cp, file, flags) => describeInet(file.payload, flags),
  [FD_TYPE.NETLINKSK]: (_cp, file, flags) => describeNetlink(file.payload, flags),
  [FD_TYPE.PACKETSK]: (_cp, file, flags) => describePacket(file.payload, flags),
  [FD_TYPE.EVENTFD]: (_cp, file, flags) => ({
    kind: "eventfd",
    what: `eventfd, count ${file.payload.counter}`,
    flags,
    details: { counter: String(file.payload.counter) },
  }),
  [FD_TYPE.SIGNALFD]: (_cp, file, flags) => {
    const signals = maskSignals(file.payload.sigmask);
    return {
      kind: "signalfd",
      what: `signalfd [${signals.join(",")}]`,
      flags,
      details: { signals: signals.map(String) },
    };
  },
  [FD_TYPE.TIMERFD]: (_cp, file, flags) => {
    const p = file.payload;
    const clock = CLOCKS[p.clockid] ?? `clock ${p.clockid}`;
    const interval = `${p.isec}s${p.insec}ns`;
    return {
      kind: "timerfd",
      what: `timerfd ${clock}, interval ${interval}, ticks ${p.ticks}`,
      flags,
      details: { clock, ticks: String(p.ticks), interval },
    };
  },
  [FD_TYPE.EVENTPOLL]: (_cp, file, flags) => {
    const targets = (file.payload.tfd ?? []).map((t) => t.tfd);
    return {
      kind: "epoll",
      what: `epoll on fds ${targets.join(",") || "none"}`,
      flags,
      details: { targets: targets.map(String) },
    };
  },
  [FD_TYPE.INOTIFY]: (_cp, file, flags) => {
    const watches = file.payload.wd ?? [];
    return {
      kind: "inotify",
      what: `inotify, ${watches.length} watch${watches.length === 1 ? "" : "es"}`,
      flags,
      details: { watches: watches.length },
    };
  },
  [FD_TYPE.MEMFD]: (cp, file, flags) => {
    const p = file.payload;
    const inode = cp.memfdInodes.get(BigInt(p.inode_id)); // u32 here, u64 in memfd.img
    const name = inode ? inode.name : "?";
    return {
      kind: "memfd",
      what: `memfd:${name}${inode ? `, ${inode.size} bytes` : ""}`,
      flags,
      pos: String(p.pos),
      details: { name },
    };
  },
  [FD_TYPE.TTY]: (cp, file, flags) => describeTty(cp, file, flags),
  [FD_TYPE.PIDFD]: (cp, file, flags) => describePidfd(cp, file.payload, flags),
  [FD_TYPE.NS]: (_cp, file, flags) => {
    const p = file.payload;
    const kind = nsKindOfFlag(p.ns_cflag) ?? `clone flag 0x${p.ns_cflag.toString(16)}`;
    return {
      kind: "ns",
      what: `${kind} namespace (ns id ${p.ns_id})`,
      flags,
      details: { namespace: kind, ns_id: p.ns_id },
    };
  },
};

export function describeFile(cp: Checkpoint, file: FileDesc): FileDescription {
  const flags = "flags" in file.payload ? file.payload.flags : undefined;
  return describeAs(cp, file, flags);
}

function describeAs<T extends FileType>(
  cp: Checkpoint,
  file: FileOf<T>,
  flags?: number,
): FileDescription {
  const describe: Describe<T> | undefined = DESCRIBE[file.type];
  if (describe) return describe(cp, file, flags);
  return {
    kind: fdTypeName(file.type).toLowerCase(),
    what: `${fdTypeName(file.type)} file (not restorable by fdrestore)`,
    flags,
    details: {},
  };
}

/** criu records a pidfd's flags without O_RDWR, which every pidfd has. */
function describePidfd(
  cp: Checkpoint,
  p: Payload<typeof FD_TYPE.PIDFD>,
  recorded?: number,
): FileDescription {
  const flags = (recorded ?? 0) | 2;
  const pid = p.nspid;
  const details = { pid, ino: p.ino };
  if (pid === -1) {
    const what = `pidfd of an ended process (inode ${p.ino})`;
    return { kind: "pidfd", what, flags, details };
  }
  const known = cp.tasks.some((t) => t.pid === pid);
  const what = `pidfd of task ${pid}${known ? "" : " (not in the images)"}`;
  return { kind: "pidfd", what, flags, details };
}

function describeReg(cp: Checkpoint, file: RegFile, flags?: number): FileDescription {
  const p = file.payload;
  const name = p.name;
  const kind = p.mode === undefined ? "file" : MODE_KIND[p.mode & S_IFMT] ?? "file";
  const details: FileDescription["details"] = { path: name };
  let what = kind === "file" || kind === "dir" ? name : `${name} (${kind})`;
  const remap = cp.remaps.get(file.id);
  if (remap) {
    const type = ["linked", "ghost", "procfs"][remap.remap_type ?? 0] ?? "remapped";
    what += ` (deleted; ${type} copy in the images)`;
    details.remap = type;
  }
  if (p.size !== undefined) details.size = String(p.size);
  if (p.mode !== undefined) details.mode = "0" + p.mode.toString(8);
  if (p.ext === true) details.external = true;
  return { kind, what, flags, pos: String(p.pos), details };
}

function unixName(p: UnixSkEntry): string {
  const raw = p.name;
  if (raw.length === 0) return "";
  if (raw[0] === 0) return "@" + new TextDecoder().decode(raw.subarray(1)).replaceAll("\0", "@");
  return new TextDecoder().decode(raw);
}

function describeUnix(p: UnixSkEntry, flags?: number): FileDescription {
  const type = SOCK_TYPE[p.type] ?? `type ${p.type}`;
  const state = TCP_STATE[p.state] ?? `state ${p.state}`;
  const name = unixName(p);
  const details: FileDescription["details"] = { ino: p.ino, type, state };
  if (name) details.address = name;
  if (p.peer) details.peer_ino = p.peer;
  let what = `unix ${type} socket:[${p.ino}]`;
  if (state === "listen") what += `, listening on ${name || "(unnamed)"}`;
  else if (name) what += `, bound to ${name}`;
  if (p.shutdown) what += `, shut down ${["", "read", "write", "both"][p.shutdown]}`;
  return { kind: "unix", what, flags, details };
}

function ipAddress(family: number, words: number[] | undefined): string {
  const list = words ?? [];
  if (family === 2) {
    const w = list[0] ?? 0;
    return [w & 255, (w >>> 8) & 255, (w >>> 16) & 255, w >>> 24].join(".");
  }
  const bytes: number[] = [];
  for (const w of list) bytes.push(w & 255, (w >>> 8) & 255, (w >>> 16) & 255, w >>> 24);
  const groups: string[] = [];
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  }
  // RFC 5952: the longest run of two or more zero groups becomes "::".
  let best = -1, bestLen = 1;
  for (let i = 0; i < groups.length;) {
    let j = i;
    while (j < groups.length && groups[j] === "0") j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const text = best < 0
    ? groups.join(":")
    : `${groups.slice(0, best).join(":")}::${groups.slice(best + bestLen).join(":")}`;
  return `[${text}]`;
}

function describeInet(p: InetSkEntry, flags?: number): FileDescription {
  const family = p.family;
  const proto = p.proto === 17 ? "udp" : p.proto === 6 ? "tcp" : `proto ${p.proto}`;
  const state = TCP_STATE[p.state] ?? `state ${p.state}`;
  const src = `${ipAddress(family, p.src_addr)}:${p.src_port}`;
  const dst = `${ipAddress(family, p.dst_addr)}:${p.dst_port}`;
  let what = `${proto}${family === 10 ? "6" : ""} ${src}`;
  if (p.dst_port) what += ` -> ${dst}`;
  what += ` (${state})`;
  return {
    kind: proto,
    what,
    flags,
    details: { family: family === 10 ? "inet6" : "inet", state, src, dst },
  };
}

function describeNetlink(p: Payload<typeof FD_TYPE.NETLINKSK>, flags?: number): FileDescription {
  const groups = (p.groups ?? [])[0] ?? 0;
  const portid = p.portid >>> 0;
  let what = `netlink protocol ${p.protocol}`;
  what += portid ? `, port id ${portid}` : ", unbound";
  if (groups) what += `, groups 0x${(groups >>> 0).toString(16)}`;
  // sk_state 1 is NETLINK_CONNECTED.
  if (p.state === 1) what += ` -> port id ${p.dst_portid} group ${p.dst_group}`;
  return { kind: "netlink", what, flags, details: { protocol: p.protocol, portid } };
}

function describePacket(p: Payload<typeof FD_TYPE.PACKETSK>, flags?: number): FileDescription {
  const type = p.type === 10 ? "SOCK_PACKET" : SOCK_TYPE[p.type] ?? `type ${p.type}`;
  // The image keeps the protocol in network byte order.
  const proto = ((p.protocol & 0xff) << 8) | ((p.protocol >> 8) & 0xff);
  const ifindex = p.ifindex;
  const what = `packet ${type}, protocol 0x${proto.toString(16).padStart(4, "0")}, ` +
    (ifindex ? `interface ${ifindex}` : "every interface");
  return { kind: "packet", what, flags, details: { type, protocol: proto, ifindex } };
}

/** Signal numbers set in a sigmask (bit n-1 = signal n). */
function maskSignals(mask: bigint): number[] {
  const out: number[] = [];
  for (let n = 1; n <= 64; n++) if ((mask >> BigInt(n - 1)) & 1n) out.push(n);
  return out;
}

const TTY_ROLE: Record<string, string> = {
  "pty-master": "pty master",
  "pty-slave": "pty slave",
  ctty: "the task's controlling terminal",
  console: "console",
  vt: "virtual terminal",
  serial: "serial line",
  other: "terminal",
};

function describeTty(
  cp: Checkpoint,
  file: TtyFileDesc,
  flags: number | undefined,
): FileDescription {
  const t = ttyFile(cp, file);
  if (!t) {
    return { kind: "tty", what: "tty (no tty-info entry)", flags, details: {} };
  }
  const notes: string[] = [TTY_ROLE[t.role]];
  if (t.index !== undefined) notes.push(`index ${t.index}`);
  if (t.info.packet_mode) notes.push("packet mode");
  if (t.info.locked) notes.push("locked");
  if (t.role === "pty-slave" && t.index !== undefined && !ptyPair(cp, t.index).master) {
    notes.push("master outside the dump");
  }
  if (t.sid) notes.push(`controlling terminal of session ${t.sid}, foreground group ${t.pgrp}`);
  const w = t.info.winsize;
  const details: FileDescription["details"] = {
    tty: t.role,
    path: t.path ?? "",
    sid: t.sid,
    pgrp: t.pgrp,
    rdev: t.info.rdev,
    dev: t.info.dev ?? 0,
  };
  if (t.index !== undefined) details.pty_index = t.index;
  if (w) details.winsize = `${w.ws_row}x${w.ws_col}`;
  if (t.info.packet_mode) details.packet_mode = true;
  if (t.info.locked) details.locked = true;
  return { kind: "tty", what: `${t.path ?? "tty"} (${notes.join(", ")})`, flags, details };
}
