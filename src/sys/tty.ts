/**
 * Terminal ioctls: pty index, lock, peer, packet mode, termios (the kernel's
 * 36-byte struct termios: four u32 flags, c_line, 19 c_cc bytes), window
 * size, controlling terminal and foreground group.
 *
 * @module
 */
import { check } from "./errno.ts";
import { ioctl, ioctlInt } from "./kinds.ts";
import { libc } from "./libc.ts";
import { alloc, view } from "./structs.ts";

export const TIOC = {
  TCGETS: 0x5401,
  TCSETS: 0x5402,
  TIOCSCTTY: 0x540e,
  TIOCGPGRP: 0x540f,
  TIOCSPGRP: 0x5410,
  TIOCGWINSZ: 0x5413,
  TIOCSWINSZ: 0x5414,
  TIOCPKT: 0x5420,
  TIOCGLCKTRMIOS: 0x5456,
  TIOCSLCKTRMIOS: 0x5457,
  TIOCGPTN: 0x80045430,
  TIOCSPTLCK: 0x40045431,
  TIOCGPTLCK: 0x80045439,
  TIOCGPKT: 0x80045438,
  TIOCGPTPEER: 0x5441,
} as const;

/** Kernel struct termios; `cc` holds up to 19 control characters. */
export interface Termios {
  iflag: number;
  oflag: number;
  cflag: number;
  lflag: number;
  line: number;
  cc: Uint8Array;
}

export interface Winsize {
  row: number;
  col: number;
  xpixel: number;
  ypixel: number;
}

const TERMIOS_SIZE = 36;
const NCCS = 19;

function intArg(value: number) {
  const buf = alloc(4);
  view(buf).setInt32(0, value, true);
  return buf;
}

function readInt(fd: number, request: number): number {
  const buf = alloc(4);
  ioctl(fd, request, buf);
  return view(buf).getInt32(0, true);
}

/** TIOCGPTN: the index N of a pty master (its slave is /dev/pts/N). */
export function ptyIndex(fd: number): number {
  return readInt(fd, TIOC.TIOCGPTN);
}

/** TIOCSPTLCK: lock (true) or unlock a pty master. */
export function setPtyLock(fd: number, locked: boolean): void {
  ioctl(fd, TIOC.TIOCSPTLCK, intArg(locked ? 1 : 0));
}

/** TIOCGPTLCK. */
export function ptyLocked(fd: number): boolean {
  return readInt(fd, TIOC.TIOCGPTLCK) !== 0;
}

/** TIOCGPTPEER: a new description of the slave of master `fd`, opened with `flags`. */
export function openPtyPeer(fd: number, flags: number): number {
  return ioctlInt(fd, TIOC.TIOCGPTPEER, flags);
}

/** TIOCPKT: packet mode on a master. */
export function setPacketMode(fd: number, on: boolean): void {
  ioctl(fd, TIOC.TIOCPKT, intArg(on ? 1 : 0));
}

/** TIOCGPKT. */
export function packetMode(fd: number): boolean {
  return readInt(fd, TIOC.TIOCGPKT) !== 0;
}

function encodeTermios(t: Termios) {
  const buf = alloc(TERMIOS_SIZE);
  const v = view(buf);
  v.setUint32(0, t.iflag >>> 0, true);
  v.setUint32(4, t.oflag >>> 0, true);
  v.setUint32(8, t.cflag >>> 0, true);
  v.setUint32(12, t.lflag >>> 0, true);
  v.setUint8(16, t.line & 0xff);
  buf.set(t.cc.subarray(0, NCCS), 17);
  return buf;
}

function decodeTermios(buf: Uint8Array<ArrayBuffer>): Termios {
  const v = view(buf);
  return {
    iflag: v.getUint32(0, true),
    oflag: v.getUint32(4, true),
    cflag: v.getUint32(8, true),
    lflag: v.getUint32(12, true),
    line: v.getUint8(16),
    cc: buf.slice(17, 17 + NCCS),
  };
}

/** TCGETS; also the way to ask "is this a terminal" (ENOTTY otherwise). */
export function getTermios(fd: number): Termios {
  const buf = alloc(TERMIOS_SIZE);
  ioctl(fd, TIOC.TCGETS, buf);
  return decodeTermios(buf);
}

/**
 * TCSETS, or with `locked` TIOCSLCKTRMIOS, which needs CAP_SYS_ADMIN: skipped
 * when the terminal has those locks already (a new one has none), so that
 * restoring no locks needs no root.
 */
export function setTermios(fd: number, t: Termios, locked = false): void {
  const want = encodeTermios(t);
  if (locked) {
    const have = alloc(TERMIOS_SIZE);
    ioctl(fd, TIOC.TIOCGLCKTRMIOS, have);
    if (have.every((b, i) => b === want[i])) return;
  }
  ioctl(fd, locked ? TIOC.TIOCSLCKTRMIOS : TIOC.TCSETS, want);
}

/** TIOCGLCKTRMIOS. */
export function getLockedTermios(fd: number): Termios {
  const buf = alloc(TERMIOS_SIZE);
  ioctl(fd, TIOC.TIOCGLCKTRMIOS, buf);
  return decodeTermios(buf);
}

/** TIOCGWINSZ. */
export function getWinsize(fd: number): Winsize {
  const buf = alloc(8);
  ioctl(fd, TIOC.TIOCGWINSZ, buf);
  const v = view(buf);
  return {
    row: v.getUint16(0, true),
    col: v.getUint16(2, true),
    xpixel: v.getUint16(4, true),
    ypixel: v.getUint16(6, true),
  };
}

/** TIOCSWINSZ. */
export function setWinsize(fd: number, w: Winsize): void {
  const buf = alloc(8);
  const v = view(buf);
  v.setUint16(0, w.row, true);
  v.setUint16(2, w.col, true);
  v.setUint16(4, w.xpixel, true);
  v.setUint16(6, w.ypixel, true);
  ioctl(fd, TIOC.TIOCSWINSZ, buf);
}

/** True when `fd` is a terminal. */
export function isTerminal(fd: number): boolean {
  try {
    getTermios(fd);
    return true;
  } catch {
    return false;
  }
}

/** TIOCSCTTY: make `fd`'s terminal the controlling terminal of this session leader. */
export function setControllingTerminal(fd: number, steal: boolean): void {
  ioctlInt(fd, TIOC.TIOCSCTTY, steal ? 1 : 0);
}

/** TIOCSPGRP: the terminal's foreground process group. */
export function setForegroundGroup(fd: number, pgrp: number): void {
  ioctl(fd, TIOC.TIOCSPGRP, intArg(pgrp));
}

/** TIOCGPGRP. */
export function foregroundGroup(fd: number): number {
  return readInt(fd, TIOC.TIOCGPGRP);
}

/** getpgrp(2)-equivalent: this process's group (getpgid(0)). */
export function getpgid(pid: number): number {
  const c = libc();
  return check("getpgid", () => c.getpgid(pid), pid);
}
