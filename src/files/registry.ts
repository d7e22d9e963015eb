/** The opener of each fd type; a type without one cannot be restored. */
import { fdTypeName, type FileDesc } from "../model/mod.ts";
import type { FileOpener } from "./opener.ts";
import { RestoreError } from "../restore_error.ts";
import { regOpener } from "./reg.ts";
import { pipeOpener } from "./pipe.ts";
import { fifoOpener } from "./fifo.ts";
import { eventfdOpener } from "./eventfd.ts";
import { signalfdOpener } from "./signalfd.ts";
import { timerfdOpener } from "./timerfd.ts";
import { epollOpener } from "./epoll.ts";
import { inotifyOpener } from "./inotify.ts";
import { unixSocketOpener } from "./unix_socket.ts";
import { inetSocketOpener } from "./inet_socket.ts";
import { netlinkSocketOpener } from "./netlink_socket.ts";
import { packetSocketOpener } from "./packet_socket.ts";
import { memfdOpener } from "./memfd.ts";
import { ttyOpener } from "./tty.ts";
import { pidfdOpener } from "./pidfd.ts";
import { nsFileOpener } from "./nsfile.ts";

const OPENERS = new Map<number, FileOpener>();

export function registerOpener(opener: FileOpener): void {
  OPENERS.set(opener.type, opener);
}

for (
  const o of [
    regOpener,
    pipeOpener,
    fifoOpener,
    eventfdOpener,
    signalfdOpener,
    timerfdOpener,
    epollOpener,
    inotifyOpener,
    unixSocketOpener,
    inetSocketOpener,
    netlinkSocketOpener,
    packetSocketOpener,
    memfdOpener,
    ttyOpener,
    pidfdOpener,
    nsFileOpener,
  ]
) registerOpener(o);

/** The opener of `type`, if fdrestore has one. */
export function openerOf(type: number): FileOpener | undefined {
  return OPENERS.get(type);
}

export function openerFor(file: FileDesc): FileOpener {
  const opener = OPENERS.get(file.type);
  if (!opener) {
    const m = file.fds[0];
    throw new RestoreError(
      `fd ${m?.fd} of task ${m?.task.pid}: ${fdTypeName(file.type)} files (id ${file.id}) ` +
        `cannot be restored by fdrestore yet`,
      { pid: m?.task.pid, fd: m?.fd, fileId: file.id },
    );
  }
  return opener;
}
