/**
 * Collects the dump's files: files.img (one union entry per open file
 * description), or, when it is absent, the per-type images older CRIUs wrote.
 */
import type { ImageName } from "../image/mod.ts";
import type { Entry, ImageSource } from "./source.ts";
import { FD_TYPE, type FileDesc, type FileKey, fileKey } from "./types.ts";

/** file_entry's payload field for each fd type. */
const PAYLOAD_FIELD: Readonly<Record<number, string>> = {
  [FD_TYPE.REG]: "reg",
  [FD_TYPE.INETSK]: "isk",
  [FD_TYPE.NS]: "nsf",
  [FD_TYPE.PACKETSK]: "psk",
  [FD_TYPE.NETLINKSK]: "nlsk",
  [FD_TYPE.EVENTFD]: "efd",
  [FD_TYPE.EVENTPOLL]: "epfd",
  [FD_TYPE.SIGNALFD]: "sgfd",
  [FD_TYPE.TUNF]: "tunf",
  [FD_TYPE.TIMERFD]: "tfd",
  [FD_TYPE.INOTIFY]: "ify",
  [FD_TYPE.FANOTIFY]: "ffy",
  [FD_TYPE.EXT]: "ext",
  [FD_TYPE.UNIXSK]: "usk",
  [FD_TYPE.FIFO]: "fifo",
  [FD_TYPE.PIPE]: "pipe",
  [FD_TYPE.TTY]: "tty",
  [FD_TYPE.MEMFD]: "memfd",
  [FD_TYPE.BPFMAP]: "bpf",
  [FD_TYPE.PIDFD]: "pidfd",
};

/** Per-type images of CRIU before files.img (2017), by fd type. */
const LEGACY_IMAGES: readonly [number, ImageName][] = [
  [FD_TYPE.REG, "reg-files"],
  [FD_TYPE.PIPE, "pipes"],
  [FD_TYPE.FIFO, "fifo"],
  [FD_TYPE.UNIXSK, "unixsk"],
  [FD_TYPE.INETSK, "inetsk"],
  [FD_TYPE.EVENTFD, "eventfd"],
  [FD_TYPE.EVENTPOLL, "eventpoll"],
  [FD_TYPE.SIGNALFD, "signalfd"],
  [FD_TYPE.TIMERFD, "timerfd"],
  [FD_TYPE.INOTIFY, "inotify"],
  [FD_TYPE.TTY, "tty"],
];

export function collectFiles(src: ImageSource): Map<FileKey, FileDesc> {
  return src.has("files") ? collectFromFilesImage(src) : collectLegacy(src);
}

function collectFromFilesImage(src: ImageSource): Map<FileKey, FileDesc> {
  const files = new Map<FileKey, FileDesc>();
  const entries = src.entries("files");
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    const type = Number(e.type);
    const id = Number(e.id);
    const field = PAYLOAD_FIELD[type];
    if (field === undefined) throw src.error("files.img", `Unknown file type ${type}`, i);
    const payload = e[field] as Entry | undefined;
    if (!payload) throw src.error("files.img", `file ${id} of type ${type} has no ${field}`, i);
    if (payload.id !== undefined && Number(payload.id) !== id) {
      throw src.error("files.img", `ID mismatch ${Number(payload.id)} != ${id}`, i);
    }
    add(src, files, "files.img", i, type, id, payload);
  }
  return files;
}

function collectLegacy(src: ImageSource): Map<FileKey, FileDesc> {
  const files = new Map<FileKey, FileDesc>();
  for (const [type, image] of LEGACY_IMAGES) {
    const entries = src.entries(image);
    for (let i = 0; i < entries.length; i++) {
      add(src, files, `${image}.img`, i, type, Number(entries[i].id), entries[i]);
    }
  }
  // Legacy epoll targets live in their own image.
  attachLegacy(src, files, FD_TYPE.EVENTPOLL, "eventpoll-tfd", "tfd");
  return files;
}

function attachLegacy(
  src: ImageSource,
  files: Map<FileKey, FileDesc>,
  type: number,
  image: ImageName,
  field: string,
): void {
  for (const e of src.entries(image)) {
    const file = files.get(fileKey(type, Number(e.id)));
    if (!file) continue;
    const list = (file.payload[field] as Entry[] | undefined) ?? [];
    list.push(e);
    (file.payload as Entry)[field] = list;
  }
}

function add(
  src: ImageSource,
  files: Map<FileKey, FileDesc>,
  image: string,
  index: number,
  type: number,
  id: number,
  payload: Entry,
): void {
  const key = fileKey(type, id);
  if (files.has(key)) throw src.error(image, `file id ${id} is used twice`, index);
  files.set(key, { id, type, payload, fds: [] });
}
