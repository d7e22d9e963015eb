/**
 * Collects the dump's files: files.img (one union entry per open file
 * description), or, when it is absent, the per-type images older CRIUs wrote.
 */
import {
  decodeMessage,
  fieldSpan,
  imageFileName,
  type ImageName,
  messagePlan,
} from "../image/mod.ts";
import type { ImageSource } from "./source.ts";
import {
  FD_TYPE,
  type FdEntry,
  type FileDesc,
  type FileKey,
  fileKey,
  type FileType,
  type Payload,
  PAYLOAD_FIELD,
} from "./types.ts";

/** Per-type images of CRIU before files.img (2017), by fd type. */
const LEGACY_IMAGES: readonly [FileType, ImageName][] = [
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
    const { type, id } = e;
    if (!isFileType(type)) throw src.error("files.img", `Unknown file type ${type}`, i);
    const field = PAYLOAD_FIELD[type];
    const payload = e[field];
    if (!payload) throw src.error("files.img", `file ${id} of type ${type} has no ${field}`, i);
    if ("id" in payload && payload.id !== id) {
      throw src.error("files.img", `ID mismatch ${payload.id} != ${id}`, i);
    }
    const key = fileKey(type, id);
    if (files.has(key)) throw src.error("files.img", `file id ${id} is used twice`, i);
    // The payload checked, its bytes are kept instead: decoded again when asked for.
    const span = !decoded && bytes && fieldSpan(bytes, start!, end!, payloadFieldId(field));
    files.set(
      key,
      span ? lazyFileDesc(id, type, bytes!, span[0], span[1]) : fileDesc(id, type, payload),
    );
  });
  return files;
}

function collectLegacy(src: ImageSource): Map<FileKey, FileDesc> {
  const files = new Map<FileKey, FileDesc>();
  for (const [type, image] of LEGACY_IMAGES) {
    // Each legacy image holds the payload entries of its type (the table says which).
    const entries = src.entries(image) as Payload<typeof type>[];
    for (let i = 0; i < entries.length; i++) {
      const key = fileKey(type, entries[i].id);
      if (files.has(key)) {
        throw src.error(imageFileName(image), `file id ${entries[i].id} is used twice`, i);
      }
      files.set(key, fileDesc(entries[i].id, type, entries[i]));
    }
  }
  // Legacy epoll targets live in their own image.
  for (const e of src.entries("eventpoll-tfd")) {
    const file = files.get(fileKey(FD_TYPE.EVENTPOLL, e.id));
    if (file?.type !== FD_TYPE.EVENTPOLL) continue;
    (file.payload.tfd ??= []).push(e);
  }
  return files;
}

function isFileType(type: number): type is FileType {
  return Object.hasOwn(PAYLOAD_FIELD, type);
}

/** A file of type `type` with its payload (the caller took `payload` from that type's field). */
function fileDesc<T extends FileType>(id: number, type: T, payload: Payload<T>): FileDesc {
  return { id, type, payload, fds: [] } as FileDesc;
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
let lastPayload: object | undefined;

/**
 * A file of files.img whose payload stays in the image's bytes until asked
 * for (about 150 bytes less per file: 11 MB at 100,000 fds). Each access
 * decodes it again, except a repeated one for the same file; nobody changes
 * a payload, so a fresh copy reads the same.
 */
class LazyFileDesc {
  readonly fds: FdEntry[] = [];

  constructor(
    readonly id: number,
    readonly type: FileType,
    private readonly bytes: Uint8Array,
    private readonly start: number,
    private readonly end: number,
  ) {}

  get payload(): object {
    if (lastFile !== this) {
      const plan = messagePlan("file_entry").byId[payloadFieldId(PAYLOAD_FIELD[this.type])]!;
      lastPayload = decodeMessage(plan.message!, this.bytes, this.start, this.end, true);
      lastFile = this;
    }
    return lastPayload!;
  }
}

/**
 * A {@link LazyFileDesc} as the file it stands for: its payload decodes the
 * field of `type`, already checked, so it is that type's payload.
 */
function lazyFileDesc(
  id: number,
  type: FileType,
  bytes: Uint8Array,
  start: number,
  end: number,
): FileDesc {
  return new LazyFileDesc(id, type, bytes, start, end) as FileDesc;
}
