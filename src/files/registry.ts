/**
 * The opener of each fd type, by FD_TYPE: the one list besides the
 * descriptors (src/fdtypes/mod.ts); a type without one cannot be restored.
 */
import { FD_TYPE, fdTypeName, type FileDesc, type FileType } from "../model/mod.ts";
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

/** Typed by FD_TYPE: an opener listed under another type's number does not compile. */
export const OPENERS: { readonly [T in FileType]?: FileOpener<T> } = {
  [FD_TYPE.REG]: regOpener,
  [FD_TYPE.PIPE]: pipeOpener,
  [FD_TYPE.FIFO]: fifoOpener,
  [FD_TYPE.EVENTFD]: eventfdOpener,
  [FD_TYPE.SIGNALFD]: signalfdOpener,
  [FD_TYPE.TIMERFD]: timerfdOpener,
  [FD_TYPE.EVENTPOLL]: epollOpener,
  [FD_TYPE.INOTIFY]: inotifyOpener,
  [FD_TYPE.UNIXSK]: unixSocketOpener,
  [FD_TYPE.INETSK]: inetSocketOpener,
  [FD_TYPE.NETLINKSK]: netlinkSocketOpener,
  [FD_TYPE.PACKETSK]: packetSocketOpener,
  [FD_TYPE.MEMFD]: memfdOpener,
  [FD_TYPE.TTY]: ttyOpener,
  [FD_TYPE.PIDFD]: pidfdOpener,
  [FD_TYPE.NS]: nsFileOpener,
};

/** The opener of `type`, if fdrestore has one. */
export function openerOf(type: number): FileOpener | undefined {
  return Object.hasOwn(OPENERS, type) ? OPENERS[type as FileType] : undefined;
}

export function openerFor(file: FileDesc): FileOpener {
  const opener = openerOf(file.type);
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
