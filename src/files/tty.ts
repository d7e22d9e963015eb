/**
 * Terminals (CRIU's tty.c). A pty master is a new /dev/ptmx (the dumped index
 * when it is free, else the next one: the mapping is logged at -v3), unlocked,
 * with termios, window size and packet mode; it opens every slave file of its
 * pair at once (TIOCGPTPEER), writes the queued bytes back as criu does (the
 * master's saved output into a slave, the slave's saved input into the
 * master), then locks itself again if it was locked. A /dev/tty is opened by
 * the started task once its controlling terminal is set. A slave whose master
 * is outside the dump is fdrestore's stdin with `--shell-job`; a terminal
 * given with `--inherit-fd fd[N]:tty[RDEV:DEV]` is used as it is. Both get the
 * dumped termios and window size.
 */
import {
  closeQuietly,
  dup,
  isTerminal,
  O,
  open,
  openInRoot,
  openPtyPeer,
  ptyIndex,
  setPacketMode,
  setPtyLock,
  setTermios,
  setWinsize,
  type Termios,
  writeAll,
} from "../sys/mod.ts";
import { inherited, keyOf } from "./inherited.ts";
import { FD_TYPE, ptyPair, type TtyFile, ttyFile, type TtyFileDesc } from "../model/mod.ts";
import type { TermiosEntry, TtyInfoEntry } from "../image/mod.ts";
import {
  AGAIN,
  type FileOpener,
  IN_TASK,
  type OpenContext,
  type OpenResult,
  type StateSlot,
  stateSlot,
} from "./opener.ts";
import { withFileParams } from "./params.ts";
import { RestoreError } from "../restore_error.ts";
import { imageOpenFlags } from "./open_flags.ts";

/** How far criu looks for a free index: it opens /dev/ptmx up to 32 times. */
const PTMX_TRIES = 32;

/** Whether this restore gave an unpaired slave fdrestore's stdin already. */
const STDIN = stateSlot(() => ({ used: false }));

function termiosOf(e: TermiosEntry | undefined): Termios | undefined {
  if (!e) return undefined;
  // c_cc is stored as 32-bit words whose bytes are the packed array: only
  // the first 32 bytes mean anything, and the kernel takes 19 of them.
  const words = (e.c_cc ?? []).slice(0, 8);
  const cc = new Uint8Array(32);
  const v = new DataView(cc.buffer);
  words.forEach((w, i) => v.setUint32(4 * i, w, true));
  return {
    iflag: e.c_iflag,
    oflag: e.c_oflag,
    cflag: e.c_cflag,
    lflag: e.c_lflag,
    line: e.c_line,
    cc,
  };
}

/** Locked termios, termios, then window size, as criu applies them. */
export function restoreTtyParams(fd: number, info: TtyInfoEntry): void {
  const locked = termiosOf(info.termios_locked);
  if (locked) setTermios(fd, locked, true);
  const t = termiosOf(info.termios);
  if (t) setTermios(fd, t);
  const w = info.winsize;
  if (w) setWinsize(fd, { row: w.ws_row, col: w.ws_col, xpixel: w.ws_xpixel, ypixel: w.ws_ypixel });
}

function flagsOf(file: TtyFileDesc): number {
  return imageOpenFlags(file.payload.flags);
}

/** Runs `fn` on `fd`, closing it when `fn` throws. */
function guarded<T>(fd: number, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    closeQuietly(fd);
    throw e;
  }
}

/** Session `sid`'s controlling terminal: a held descriptor and the dumped foreground group. */
export interface Ctty {
  readonly fd: number;
  readonly pgrp: number;
}

/** The controlling terminal of each session this restore opened, by sid (read by the task start). */
export const CTTYS: StateSlot<Map<number, Ctty>> = stateSlot(() => new Map());

/** The session leader that gets `t` as its controlling terminal, if the dump had one. */
function claimCtty(ctx: OpenContext, t: TtyFile, fd: () => number): void {
  if (!t.sid) return;
  const leader = ctx.cp.tasks.find((task) => task.pid === t.sid && task.sid === task.pid);
  if (!leader) {
    throw new RestoreError(`No task found with sid ${t.sid}`, { fileId: t.file.id });
  }
  if (!ctx.hold) throw new RestoreError("controlling terminals need the scheduler");
  const cttys = ctx.state(CTTYS);
  if (cttys.has(t.sid)) return; // the first terminal of a session wins
  cttys.set(t.sid, { fd: ctx.hold(fd()), pgrp: t.pgrp });
}

/** /dev/ptmx at the dumped index when possible. */
function openPtmx(ctx: OpenContext, t: TtyFile, flags: number): number {
  const path = t.path ?? "/dev/ptmx";
  const want = t.index ?? -1;
  const opened: number[] = [];
  let chosen = -1;
  try {
    for (let i = 0; i < PTMX_TRIES; i++) {
      const fd = openInRoot(ctx.root, path, flags | O.NOCTTY);
      opened.push(fd);
      const got = ptyIndex(fd);
      if (got === want || got > want || want - got >= PTMX_TRIES) {
        chosen = got === want ? fd : opened[0];
        break;
      }
    }
    if (chosen < 0) chosen = opened[0];
    const got = ptyIndex(chosen);
    if (got === want) ctx.log.info(`ptmx opened with index ${got}`);
    else ctx.log.info(`pty ${want} of the dump is restored as /dev/pts/${got}`);
    return chosen;
  } finally {
    for (const fd of opened) if (fd !== chosen) closeQuietly(fd);
  }
}

/**
 * A slave of the master `fd` with the image's flags. criu opens /dev/pts/N
 * with open(), which adds O_LARGEFILE; TIOCGPTPEER does not, so it is added
 * here (a slave from glibc's openpty() had none in the dump).
 */
function openSlave(ctx: OpenContext, master: number, s: TtyFile): number {
  const flags = flagsOf(s.file);
  const fd = openPtyPeer(master, flags | O.NOCTTY | O.LARGEFILE);
  return guarded(fd, () => {
    restoreTtyParams(fd, s.info);
    return withFileParams(ctx, fd, flags, s.file.payload.fown);
  });
}

function openMaster(ctx: OpenContext, t: TtyFile): number {
  const fd = openPtmx(ctx, t, flagsOf(t.file));
  return guarded(fd, () => {
    setPtyLock(fd, false);
    restoreTtyParams(fd, t.info);
    if (t.info.packet_mode) setPacketMode(fd, true);
    const data = ctx.cp.ttyData;
    const masterId = t.info.id;
    let linked = false;
    for (const s of ptyPair(ctx.cp, t.index!).slaves) {
      if (s.file.fds.length === 0 || ctx.stagedFd(s.file) !== undefined) continue;
      const sfd = openSlave(ctx, fd, s);
      // What the master would have read goes through the slave's output again.
      const out = linked ? undefined : data?.get(masterId);
      if (out?.length) guarded(sfd, () => writeAll(sfd, out));
      linked = true;
      ctx.provide(s.file, sfd);
    }
    const input = data?.get(masterId - 1);
    if (input?.length) writeAll(fd, input);
    claimCtty(ctx, t, () => openPtyPeer(fd, O.RDONLY | O.NOCTTY));
    if (t.info.locked) setPtyLock(fd, true);
    return withFileParams(ctx, fd, flagsOf(t.file), t.file.payload.fown);
  });
}

/**
 * Slaves of a pty whose master was closed before the dump (hung up: the dump
 * has no termios for them). As criu: a fake master at the same index (the
 * `ptmx` of the slave's devpts), every slave of the index opened from it,
 * then the master closed, which hangs them up again.
 */
function openHungSlaves(ctx: OpenContext, t: TtyFile): number {
  const ptmx = (t.path ?? "/dev/pts/0").replace(/[^/]*$/, "ptmx");
  let master: number;
  try {
    master = openPtmx(ctx, { ...t, path: ptmx }, O.RDONLY);
  } catch {
    master = openPtmx(ctx, { ...t, path: "/dev/ptmx" }, O.RDONLY); // /dev/pts/ptmx is often 0000
  }
  const others: [TtyFileDesc, number][] = [];
  try {
    setPtyLock(master, false);
    for (const s of ptyPair(ctx.cp, t.index!).slaves) {
      if (s.file === t.file || s.file.fds.length === 0 || ctx.stagedFd(s.file) !== undefined) {
        continue;
      }
      others.push([s.file, openSlave(ctx, master, s)]);
    }
    const own = openSlave(ctx, master, t);
    for (const [file, fd] of others) ctx.provide(file, fd);
    ctx.log.info(
      `pty ${t.index} was hung up: ${others.length + 1} slave(s) opened on a fake master`,
    );
    return own;
  } catch (e) {
    for (const [, fd] of others) closeQuietly(fd);
    throw e;
  } finally {
    closeQuietly(master);
  }
}

function isHung(t: TtyFile): boolean {
  return t.info.termios === undefined;
}

function openUnpairedSlave(ctx: OpenContext, t: TtyFile): number {
  if (!ctx.shellJob) {
    throw new RestoreError(
      `Found slave peer index ${t.index} without correspond master peer: the task ran on a ` +
        `terminal that is not in the images; restore it with --shell-job (it gets fdrestore's ` +
        `terminal) or pass one with --inherit-fd 'fd[N]:${keyOf(ctx, t.file)}'`,
      { fileId: t.file.id },
    );
  }
  if (!isTerminal(0)) {
    throw new RestoreError("Standard stream is not a terminal, aborting", { fileId: t.file.id });
  }
  // The first description is fdrestore's stdin itself; any other one is a new open of it.
  const stdin = ctx.state(STDIN);
  const first = !stdin.used;
  stdin.used = true;
  const fd = first ? dup(0) : open("/proc/self/fd/0", flagsOf(t.file) | O.NOCTTY);
  guarded(fd, () => restoreTtyParams(fd, t.info));
  ctx.log.info(`Migrated slave peer ${t.file.id.toString(16)} -> to fd ${fd}`);
  return fd;
}

function openExternal(ctx: OpenContext, t: TtyFile, fd: number): number {
  return guarded(fd, () => {
    restoreTtyParams(fd, t.info);
    claimCtty(ctx, t, () => dup(fd));
    return fd;
  });
}

function openSimple(ctx: OpenContext, t: TtyFile): number {
  if (!t.path) throw new RestoreError(`No reg_d descriptor for id 0x${t.file.id.toString(16)}`);
  const flags = flagsOf(t.file);
  const fd = openInRoot(ctx.root, t.path, flags | O.NOCTTY);
  guarded(fd, () => restoreTtyParams(fd, t.info));
  return withFileParams(ctx, fd, flags, t.file.payload.fown);
}

export const ttyOpener: FileOpener<typeof FD_TYPE.TTY> = {
  type: FD_TYPE.TTY,
  open(ctx: OpenContext, file: TtyFileDesc): OpenResult {
    const t = ttyFile(ctx.cp, file);
    if (!t) {
      const info = file.payload.tty_info_id.toString(16);
      throw new RestoreError(`No tty-info-id ${info} found on id ${file.id.toString(16)}`, {
        fileId: file.id,
      });
    }
    const given = inherited(ctx, file);
    if (given) return openExternal(ctx, t, given.fd);
    switch (t.role) {
      case "ctty":
        if (!ctx.openInTask) throw new RestoreError("/dev/tty needs the scheduler");
        // The task opens it by path: only the one name a controlling terminal has.
        if ((t.path ?? "/dev/tty") !== "/dev/tty") {
          throw new RestoreError(
            `A controlling terminal named ${t.path} (not /dev/tty) is refused`,
            {
              fileId: file.id,
            },
          );
        }
        ctx.openInTask(file, "/dev/tty", flagsOf(file) | O.NOCTTY);
        return IN_TASK;
      case "pty-master":
        return openMaster(ctx, t);
      case "pty-slave":
        // A slave is opened by its master when the dump has one.
        if (ptyPair(ctx.cp, t.index!).master) return AGAIN;
        return isHung(t) ? openHungSlaves(ctx, t) : openUnpairedSlave(ctx, t);
      default:
        return openSimple(ctx, t);
    }
  },
};
