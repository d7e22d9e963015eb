/**
 * `show`'s report: every task's fd table with what each fd is, what it shares,
 * its `--inherit-fd` key, and what a restore will need from the caller. The
 * JSON form (`show --json`) is this structure; its fields are documented in
 * the README and kept stable.
 */
import { close, fstat, O, openInRoot, S_IF, type Stat } from "../sys/mod.ts";
import {
  type Checkpoint,
  FD_TYPE,
  type FdEntry,
  fdTypeName,
  type FileDesc,
  ptyPair,
  type RegFile,
  type Task,
  TASK_STATE,
} from "../model/mod.ts";
import { inheritKeyOf } from "../fdtypes/mod.ts";
import { describeFile, type FileDescription } from "./describe.ts";
import { accessMode, statusFlagNames } from "./open_flags.ts";
import { doubtText, execHint, judgeTask, refused } from "../program/mod.ts";
import type { ContainerFacts } from "./container.ts";

export interface ShowFd {
  fd: number;
  /** CRIU's fd type: REG, PIPE, UNIXSK, ... */
  type: string;
  kind: string;
  file_id: number;
  what: string;
  access?: string;
  flags: string[];
  cloexec: boolean;
  pos?: string;
  /** Other fds on the same open file description: "fd 2" here, "PID:FD" elsewhere. */
  shares: string[];
  /** Where the other end of a pipe or the peer of a socket is, as "PID:FD" list. */
  peer?: string[];
  inherit_key?: string;
  details: Record<string, string | number | boolean | string[]>;
}

export interface ShowTask {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  comm: string;
  state: string;
  exe?: string;
  /** The link argv[0] names that led the kernel to `exe` (redis-server → redis-check-rdb). */
  exe_via?: string;
  argv?: string[];
  /** Why a restore will not start the recorded program (a process title, ...). */
  program_doubt?: string;
  cwd?: string;
  root?: string;
  umask?: string;
  /** The pid whose fd table this task uses (itself unless shared). */
  fd_table: number;
  fds: ShowFd[];
  /** With --fd/--kind: how many fds the task has in all. */
  fds_total?: number;
}

export interface ShowNeed {
  pid: number;
  /** Absent when the task needs its program. */
  fd?: number;
  reason: string;
  /** The argument that supplies it, with N to be chosen by the caller. */
  inherit_arg?: string;
  /** For a program: the arguments that give it. */
  exec_arg?: string;
}

export interface ShowReport {
  images: string;
  /** From config.dump/spec.dump, when the images came in a container checkpoint archive. */
  container?: ContainerFacts;
  tasks: ShowTask[];
  needs: ShowNeed[];
  /** With --pid/--fd/--kind: needs of the fds left out (counted, not listed). */
  needs_not_shown?: number;
}

const STATE = ["unknown", "alive", "dead", "stopped"];

/** What the fds of one file show alike, and how many of them are still to be made. */
interface Described {
  d: FileDescription;
  key?: string;
  /** The fd type's name (REG, PIPE, ...). */
  type: string;
  left: number;
}
const MAX_SHARES = 8;

export interface ReportOptions {
  /** Where image paths are looked up for existence/size checks (default "/"). */
  root?: string;
}

export function buildReport(cp: Checkpoint, opts: ReportOptions = {}): ShowReport {
  const ctx = new ReportContext(cp, opts.root ?? "/");
  const tasks = cp.tasks.map((t) => ctx.task(t));
  return { images: cp.dir, tasks, needs: ctx.needs };
}

/** 1 for a pipe's write end (opened for writing), 0 for its read end. */
const isWriteEnd = (flags: number) => (flags & 3) !== 0 ? 1 : 0;

const isRegular = (st: Stat) => (st.mode & S_IF.MT) === S_IF.REG;

const where = (from: Task, e: FdEntry) => e.task === from ? `fd ${e.fd}` : `${e.task.pid}:${e.fd}`;

/**
 * Builds the report's parts; needs collect as tasks and fds are made. Each fd
 * entry is made once ({@link fd}), in table order: a file is described and its
 * needs checked at its first fd, and its description is kept only until its
 * last fd is made (100,000 descriptions alive at once held ~20 MB).
 */
export class ReportContext {
  needs: ShowNeed[] = [];
  /** Pipe ends by pipe_id: [read ends, write ends]. */
  #pipes = new Map<number, [FileDesc[], FileDesc[]]>();
  #sockets = new Map<number, FileDesc>();
  /** Descriptions of files with fds still to be made, and how many. */
  #described = new Map<FileDesc, Described>();

  constructor(readonly cp: Checkpoint, readonly root: string) {
    // One pass over the files: pipe ends by pipe_id, unix sockets by inode.
    for (const f of cp.files.values()) {
      if (f.type === FD_TYPE.PIPE) {
        const p = f.payload;
        let ends = this.#pipes.get(p.pipe_id);
        if (!ends) this.#pipes.set(p.pipe_id, ends = [[], []]);
        ends[isWriteEnd(p.flags)].push(f);
      } else if (f.type === FD_TYPE.UNIXSK) {
        this.#sockets.set(f.payload.ino, f);
      }
    }
  }

  /** `withFds` false: `fds` stays empty, for a caller that makes them with {@link fd}. */
  task(t: Task, withFds = true): ShowTask {
    const owner = t.tableOwner ?? t;
    const verdict = t.state === TASK_STATE.DEAD ? undefined : judgeTask(t, this.root);
    const doubt = verdict && refused(verdict) ? doubtText(t, verdict, false) : undefined;
    if (doubt) {
      this.needs.push({
        pid: t.pid,
        reason: "its recorded program is not started by default (see the task)",
        exec_arg: execHint(t.pid),
      });
    }
    return {
      pid: t.pid,
      ppid: t.ppid,
      pgid: t.pgid,
      sid: t.sid,
      comm: t.comm,
      state: STATE[t.state] ?? String(t.state),
      exe: t.exe,
      ...(verdict?.via ? { exe_via: verdict.via } : {}),
      argv: t.argv,
      ...(doubt ? { program_doubt: doubt } : {}),
      cwd: t.cwd,
      root: t.root,
      umask: t.umask === undefined ? undefined : "0" + t.umask.toString(8).padStart(3, "0"),
      fd_table: owner.pid,
      fds: owner === t && withFds ? t.fds.map((e) => this.fd(t, e)) : [],
    };
  }

  /** What every fd of `file` shows alike: dups share the description and the key. */
  describe(file: FileDesc): Described {
    const d = describeFile(this.cp, file);
    d.access = d.flags === undefined ? undefined : accessMode(d.flags);
    d.flagNames = d.flags === undefined ? [] : statusFlagNames(d.flags);
    return { d, key: inheritKeyOf(this.cp, file), type: fdTypeName(file.type), left: 0 };
  }

  /** The report entry of fd entry `e` of task `t`; call once per entry. */
  fd(t: Task, e: FdEntry): ShowFd {
    const file = e.file;
    let got = this.#described.get(file);
    const first = got === undefined;
    if (got === undefined) {
      got = this.describe(file);
      got.left = file.fds.length - 1;
      if (got.left > 0) this.#described.set(file, got);
    } else if (--got.left === 0) {
      this.#described.delete(file);
    }
    const { d, key } = got;
    const shares: string[] = [];
    for (const o of file.fds) {
      if (o === e) continue;
      if (shares.length === MAX_SHARES) {
        shares.push(`+${file.fds.length - 1 - MAX_SHARES} more`);
        break;
      }
      shares.push(where(t, o));
    }
    const out: ShowFd = {
      fd: e.fd,
      type: got.type,
      kind: d.kind,
      file_id: file.id,
      what: d.what,
      access: d.access,
      flags: d.flagNames ?? [],
      cloexec: (e.fdFlags & 1) !== 0,
      pos: d.pos,
      shares,
      inherit_key: key,
      details: d.details,
    };
    const peer = this.peer(t, e);
    if (peer) out.peer = peer;
    if (first) this.checkNeeds(e, out);
    return out;
  }

  /** The fds holding the other end of a pipe or the peer of a unix socket. */
  peer(t: Task, e: FdEntry): string[] | undefined {
    const file = e.file;
    if (file.type === FD_TYPE.PIPE) {
      const p = file.payload;
      const out: string[] = [];
      const ends = this.#pipes.get(p.pipe_id);
      for (const f of ends ? ends[1 - isWriteEnd(p.flags)] : []) {
        for (const o of f.fds) out.push(where(t, o));
      }
      return out;
    }
    if (file.type === FD_TYPE.UNIXSK && file.payload.peer) {
      const peer = this.#sockets.get(file.payload.peer);
      if (!peer) return [];
      return peer.fds.map((o) => where(t, o));
    }
    return undefined;
  }

  need(e: FdEntry, reason: string, key?: string): void {
    this.needs.push({
      pid: e.task.pid,
      fd: e.fd,
      reason,
      inherit_arg: key === undefined ? undefined : `--inherit-fd 'fd[N]:${key}'`,
    });
  }

  checkNeeds(e: FdEntry, out: ShowFd): void {
    const file = e.file;
    const key = out.inherit_key;
    if (file.type === FD_TYPE.PIPE && out.peer?.length === 0) {
      const missing = (file.payload.flags & 3) ? "read" : "write";
      this.need(e, `${key}: its ${missing} end is outside the dumped tree`, key);
    } else if (file.type === FD_TYPE.UNIXSK) {
      const p = file.payload;
      const external = (p.uflags & 1) !== 0; // USK_EXTERN
      if (external || (p.peer && out.peer?.length === 0)) {
        this.need(e, `${key}: its peer socket:[${p.peer}] is outside the dumped tree`, key);
      }
    } else if (file.type === FD_TYPE.REG) {
      this.checkRegFile(e, file, key);
    } else if (file.type === FD_TYPE.TTY && out.details.tty === "pty-slave") {
      const index = Number(out.details.pty_index);
      if (!ptyPair(this.cp, index).master) {
        this.need(e, `${key}: its terminal's master is outside the dump (use --shell-job)`, key);
      }
    }
  }

  #stats = new Map<string, Stat | null>();

  /**
   * stat once per path: a table may open one path thousands of times. Looked
   * up inside the root through a descriptor, as a restore opens it: a symlink
   * in a container's rootfs never reaches the host.
   */
  stat(path: string): Stat | null {
    let st = this.#stats.get(path);
    if (st === undefined) {
      try {
        const fd = openInRoot(this.root, path, O.PATH | O.CLOEXEC);
        try {
          st = fstat(fd);
        } finally {
          close(fd);
        }
      } catch {
        st = null;
      }
      this.#stats.set(path, st);
    }
    return st;
  }

  checkRegFile(e: FdEntry, file: RegFile, key?: string): void {
    const p = file.payload;
    const name = p.name;
    if (p.ext === true) {
      this.need(e, `${name} was dumped as external: it must be passed in`, key);
      return;
    }
    if (this.cp.remaps.has(e.file.id)) return; // recreated from the images
    const st = this.stat(name);
    if (!st) {
      this.need(e, `${name} does not exist`, key);
      return;
    }
    if (p.mode !== undefined && st.mode !== p.mode) {
      const now = "0" + st.mode.toString(8), was = "0" + p.mode.toString(8);
      this.need(e, `File ${name} has bad mode ${now} (expect ${was})`, key);
    } else if (p.size !== undefined && isRegular(st) && st.size !== p.size) {
      this.need(e, `File ${name} has bad size ${st.size} (expect ${p.size})`, key);
    }
  }
}
