/**
 * Which restored sockets a started program is told about, decided from the
 * model before anything opens (so `check` finds the same mistakes).
 *
 * @module
 */
import { FD_TYPE, type FdEntry, type FileDesc, type Task } from "../model/mod.ts";
import { RestoreError } from "../restore_error.ts";
import type { ListenChoice } from "./spec.ts";

const TCP_LISTEN = 10;

/** What a started task is told (plain data: it travels in a task plan). */
export interface Handoff {
  /** The pid in the dump of the task that gets the sockets. */
  readonly pid: number;
  /** `--listen-fds`: fds of the dump in the order they go to 3, 4, ..., with their names. */
  readonly listen?: readonly { fd: number; name: string }[];
  /** `--fds-env VAR`: the variable and the fds of the dump it lists. */
  readonly fdsEnv?: { readonly name: string; readonly fds: readonly number[] };
  /** fdrestore's own NOTIFY_SOCKET, for this task. */
  readonly notifySocket?: string;
}

export interface HandoffOptions {
  /** `--listen-fds`: every listening socket, or these. */
  readonly listenFds?: "all" | readonly ListenChoice[];
  readonly fdsEnv?: string;
  readonly notifySocket?: string;
}

/** A TCP or unix socket in the listening state. */
export function isListening(file: FileDesc): boolean {
  return (file.type === FD_TYPE.INETSK || file.type === FD_TYPE.UNIXSK) &&
    Number(file.payload.state) === TCP_LISTEN;
}

/**
 * The task's listening sockets in fd order, each socket once: a dup (or a
 * second fd of the same description) would make a program listen twice.
 */
export function listeningFds(task: Task): FdEntry[] {
  const seen = new Set<FileDesc>();
  const out: FdEntry[] = [];
  for (const e of (task.tableOwner ?? task).fds) {
    if (!isListening(e.file) || seen.has(e.file)) continue;
    seen.add(e.file);
    out.push(e);
  }
  return out;
}

/** Decides the hand-off for `task`; throws a RestoreError naming it when nothing fits. */
export function planHandoff(task: Task, opts: HandoffOptions): Handoff {
  const all = listeningFds(task);
  const need = (what: string) => {
    if (all.length === 0) {
      throw new RestoreError(`task ${task.pid} has no listening socket to pass (${what})`, {
        pid: task.pid,
      });
    }
  };
  let listen: { fd: number; name: string }[] | undefined;
  if (opts.listenFds === "all") {
    need("--listen-fds");
    listen = all.map((e) => ({ fd: e.fd, name: `fd${e.fd}` }));
  } else if (opts.listenFds) {
    const table = (task.tableOwner ?? task).fds;
    listen = opts.listenFds.map((c) => {
      const e = table.find((x) => x.fd === c.fd);
      if (!e || !isListening(e.file)) {
        const what = e ? "is not a listening socket" : "is not open";
        throw new RestoreError(`fd ${c.fd} of task ${task.pid} ${what} (--listen-fds)`, {
          pid: task.pid,
          fd: c.fd,
        });
      }
      return { fd: c.fd, name: c.name ?? `fd${c.fd}` };
    });
  }
  let fdsEnv: Handoff["fdsEnv"];
  if (opts.fdsEnv !== undefined) {
    need(`--fds-env ${opts.fdsEnv}`);
    fdsEnv = { name: opts.fdsEnv, fds: all.map((e) => e.fd) };
  }
  return {
    pid: task.pid,
    ...(listen ? { listen } : {}),
    ...(fdsEnv ? { fdsEnv } : {}),
    ...(opts.notifySocket ? { notifySocket: opts.notifySocket } : {}),
  };
}
