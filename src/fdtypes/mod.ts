/**
 * Every fd type fdrestore knows, one descriptor each (`NAME.ts` here): its
 * payload field, `show`'s description and its `--inherit-fd` key. The
 * type's opener, if it has one, is `src/files/NAME.ts`; nothing here loads
 * restore code.
 *
 * ```ts
 * import { descriptorOf, inheritKeyOf } from "./mod.ts";
 * import { FD_TYPE } from "../model/mod.ts";
 * console.log(descriptorOf(FD_TYPE.PIPE).field); // "pipe"
 * ```
 *
 * @module
 */
import {
  type Checkpoint,
  FD_TYPE,
  type FileDesc,
  type FileOf,
  type FileType,
} from "../model/mod.ts";
import type { FdTypeDescriptor } from "./descriptor.ts";
import { regType } from "./reg.ts";
import { pipeType } from "./pipe.ts";
import { fifoType } from "./fifo.ts";
import { unixSocketType } from "./unix_socket.ts";
import { inetSocketType } from "./inet_socket.ts";
import { netlinkSocketType } from "./netlink_socket.ts";
import { packetSocketType } from "./packet_socket.ts";
import { eventfdType } from "./eventfd.ts";
import { signalfdType } from "./signalfd.ts";
import { timerfdType } from "./timerfd.ts";
import { epollType } from "./epoll.ts";
import { inotifyType } from "./inotify.ts";
import { memfdType } from "./memfd.ts";
import { ttyType } from "./tty.ts";
import { pidfdType } from "./pidfd.ts";
import { nsFileType } from "./nsfile.ts";
import { tunfType } from "./tun.ts";
import { fanotifyType } from "./fanotify.ts";
import { extType } from "./ext.ts";
import { bpfmapType } from "./bpfmap.ts";

export type { FdTypeDescriptor, FileDescription } from "./descriptor.ts";

/**
 * The one list of descriptors. Typed by FD_TYPE, so a type with a payload
 * field and no descriptor, or a descriptor under another type's number, does
 * not compile.
 */
export const DESCRIPTORS: { readonly [T in FileType]: FdTypeDescriptor<T> } = {
  [FD_TYPE.REG]: regType,
  [FD_TYPE.PIPE]: pipeType,
  [FD_TYPE.FIFO]: fifoType,
  [FD_TYPE.UNIXSK]: unixSocketType,
  [FD_TYPE.INETSK]: inetSocketType,
  [FD_TYPE.NETLINKSK]: netlinkSocketType,
  [FD_TYPE.PACKETSK]: packetSocketType,
  [FD_TYPE.EVENTFD]: eventfdType,
  [FD_TYPE.SIGNALFD]: signalfdType,
  [FD_TYPE.TIMERFD]: timerfdType,
  [FD_TYPE.EVENTPOLL]: epollType,
  [FD_TYPE.INOTIFY]: inotifyType,
  [FD_TYPE.MEMFD]: memfdType,
  [FD_TYPE.TTY]: ttyType,
  [FD_TYPE.PIDFD]: pidfdType,
  [FD_TYPE.NS]: nsFileType,
  [FD_TYPE.TUNF]: tunfType,
  [FD_TYPE.FANOTIFY]: fanotifyType,
  [FD_TYPE.EXT]: extType,
  [FD_TYPE.BPFMAP]: bpfmapType,
};

/** The descriptor of fd type `type`. */
export function descriptorOf<T extends FileType>(type: T): FdTypeDescriptor<T> {
  return DESCRIPTORS[type];
}

/** The key criu compares `--inherit-fd fd[N]:KEY` with, or undefined for types without one. */
export function inheritKeyOf(cp: Checkpoint, file: FileDesc): string | undefined {
  return keyFor(cp, file);
}

function keyFor<T extends FileType>(cp: Checkpoint, file: FileOf<T>): string | undefined {
  return descriptorOf(file.type).inheritKey?.(cp, file);
}
