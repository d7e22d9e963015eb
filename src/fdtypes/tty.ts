/** Terminals (TTY): pty ends, /dev/tty, consoles; keyed by their tty-info entry. */
import { type Checkpoint, FD_TYPE, ptyPair, ttyFile, type TtyFileDesc } from "../model/mod.ts";
import { ttyKey } from "../inherit/keys.ts";
import type { FdTypeDescriptor, FileDescription } from "./descriptor.ts";

export const ttyType: FdTypeDescriptor<typeof FD_TYPE.TTY> = {
  type: FD_TYPE.TTY,
  field: "tty",
  kinds: ["tty"],
  describe: (cp, file, flags) => describeTty(cp, file, flags),
  inheritKey: (cp, file) => {
    const info = cp.ttyInfo.get(file.payload.tty_info_id);
    return info ? ttyKey(info.rdev, info.dev ?? 0) : undefined;
  },
};

const TTY_ROLE: Readonly<Record<string, string>> = {
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
