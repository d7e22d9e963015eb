/**
 * Terminals of a checkpoint: what each TTY file is (pty master or slave,
 * /dev/tty, console...), which pty pair it belongs to, and which terminal is
 * a session's controlling one. criu numbers tty-info ids `index * 2` for a
 * slave and `index * 2 + 1` for its master.
 */
import { TTY_TYPE, type TtyInfoEntry } from "../image/mod.ts";
import { type Checkpoint, FD_TYPE, type FileOf, fileOf } from "./types.ts";

export type TtyRole = "pty-master" | "pty-slave" | "ctty" | "console" | "vt" | "serial" | "other";

/** tty_info_entry.type values (proto's TtyType). */
export { TTY_TYPE };

export type TtyFileDesc = FileOf<typeof FD_TYPE.TTY>;

/** glibc's dev_t encoding. */
export function devMajor(dev: number): number {
  return ((dev >>> 8) & 0xfff) | (Math.floor(dev / 2 ** 32) & ~0xfff);
}

export function devMinor(dev: number): number {
  return (dev & 0xff) | ((dev >>> 12) & ~0xff);
}

export interface TtyFile {
  readonly file: TtyFileDesc;
  readonly info: TtyInfoEntry;
  readonly role: TtyRole;
  /** The pty index in the dump (pty-master, pty-slave). */
  readonly index?: number;
  /** The path of its REG entry (`/dev/ptmx`, `/dev/pts/3`, `/dev/tty`). */
  readonly path?: string;
  /** Session and foreground group the terminal had (0: none). */
  readonly sid: number;
  readonly pgrp: number;
}

function roleOf(info: TtyInfoEntry): TtyRole {
  const { type, rdev } = info;
  const major = devMajor(rdev);
  if (type === TTY_TYPE.PTY) {
    return (major === 5 && devMinor(rdev) === 2) || (major >= 128 && major <= 135)
      ? "pty-master"
      : "pty-slave";
  }
  if (type === TTY_TYPE.CTTY) return "ctty";
  if (type === TTY_TYPE.CONSOLE) return "console";
  if (type === TTY_TYPE.VT) return "vt";
  if (type === TTY_TYPE.SERIAL) return "serial";
  return "other";
}

/** The terminal facts of a TTY file; undefined when tty-info.img lacks its entry. */
export function ttyFile(cp: Checkpoint, file: TtyFileDesc): TtyFile | undefined {
  const info = cp.ttyInfo.get(file.payload.tty_info_id);
  if (!info) return undefined;
  const reg = fileOf(cp, FD_TYPE.REG, file.payload.regf_id ?? file.id);
  return {
    file,
    info,
    role: roleOf(info),
    index: info.pty?.index,
    path: reg?.payload.name,
    sid: info.sid,
    pgrp: info.pgrp,
  };
}

/** Every TTY file of the checkpoint, in files.img order. */
export function ttyFiles(cp: Checkpoint): TtyFile[] {
  const out: TtyFile[] = [];
  for (const f of cp.files.values()) {
    if (f.type !== FD_TYPE.TTY) continue;
    const t = ttyFile(cp, f);
    if (t) out.push(t);
  }
  return out;
}

/** The files of pty `index`: its master (at most one description) and its slaves. */
export function ptyPair(cp: Checkpoint, index: number): { master?: TtyFile; slaves: TtyFile[] } {
  const all = ttyFiles(cp).filter((t) => t.index === index);
  return {
    master: all.find((t) => t.role === "pty-master"),
    slaves: all.filter((t) => t.role === "pty-slave"),
  };
}
