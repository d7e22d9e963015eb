/**
 * Collects the dump's files: files.img (one union entry per open file
 * description), or, when it is absent, the per-type images older CRIUs wrote.
 */
import { decodeMessage, fieldSpan, type ImageName, messagePlan } from "../image/mod.ts";
import type { Entry, ImageSource } from "./source.ts";
import { FD_TYPE, type FdEntry, type FileDesc, type FileKey, fileKey } from "./types.ts";

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

/** The files of the dump; `decoded`: payloads stay decoded objects (see BuildOptions). */
export function collectFiles(src: ImageSource, decoded = false): Map<FileKey, FileDesc> {
  return src.has("files") ? collectFromFilesImage(src, decoded) : collectLegacy(src);
}

function collectFromFilesImage(src: ImageSource, decoded: boolean): Map<FileKey, FileDesc> {
  const files = new Map<FileKey, FileDesc>();
  src.each("files", undefined, (e, i, bytes, start, end) => {
    const type = Number(e.type);
    const id = Number(e.id);
    const field = PAYLOAD_FIELD[type];
    if (field === undefined) throw src.error("files.img", `Unknown file type ${type}`, i);
    const payload = e[field] as Entry | undefined;
    if (!payload) throw src.error("files.img", `file ${id} of type ${type} has no ${field}`, i);
    if (payload.id !== undefined && Number(payload.id) !== id) {
      throw src.error("files.img", `ID mismatch ${Number(payload.id)} != ${id}`, i);
    }
    const key = fileKey(type, id);
    if (files.has(key)) throw src.error("files.img", `file id ${id} is used twice`, i);
    // The payload checked, its bytes are kept instead: decoded again when asked for.
    const span = !decoded && bytes && fieldSpan(bytes, start!, end!, payloadFieldId(field));
    files.set(
      key,
      span ? new LazyFileDesc(id, type, bytes!, span[0], span[1]) : fileDesc(id, type, payload),
    );
  });
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
  files.set(key, fileDesc(id, type, payload));
}

function fileDesc(id: number, type: number, payload: Entry): FileDesc {
  return { id, type, payload, fds: [] };
}

const FIELD_IDS = new Map<string, number>();

/** file_entry's field number of a payload field. */
function payloadFieldId(field: string): number {
  let id = FIELD_IDS.get(field);
  if (id === undefined) {
    id = messagePlan("file_entry").fields.find((f) => f.name === field)!.id;
    FIELD_IDS.set(field, id);
  }
  return id;
}

let lastFile: LazyFileDesc | undefined;
let lastPayload: Entry | undefined;

/**
 * A file of files.img whose payload stays in the image's bytes until asked
 * for (about 150 bytes less per file: 11 MB at 100,000 fds). Each access
 * decodes it again, except a repeated one for the same file; nobody changes
 * a payload, so a fresh copy reads the same.
 */
class LazyFileDesc implements FileDesc {
  readonly fds: FdEntry[] = [];

  constructor(
    readonly id: number,
    readonly type: number,
    private readonly bytes: Uint8Array,
    private readonly start: number,
    private readonly end: number,
  ) {}

  get payload(): Entry {
    if (lastFile !== this) {
      const plan = messagePlan("file_entry").byId[payloadFieldId(PAYLOAD_FIELD[this.type])]!;
      lastPayload = decodeMessage(plan.message!, this.bytes, this.start, this.end, true);
      lastFile = this;
    }
    return lastPayload!;
  }
}
