/**
 * Typed readers of the images the restorer needs, by CRIU's file names.
 * A missing image file reads as zero entries, as in CRIU.
 */
import { join } from "../sys/path.ts";
import { decodeBody, readHeader } from "./framing.ts";
import { readImageBytes } from "./image_open.ts";
import { type ImageKind, imageKind } from "./image_kinds.ts";
import type {
  CoreEntry,
  EventfdFileEntry,
  EventpollFileEntry,
  EventpollTfdEntry,
  FdinfoEntry,
  FifoEntry,
  FileEntry,
  FileLockEntry,
  FsEntry,
  GhostChunkEntry,
  GhostFileEntry,
  InetSkEntry,
  InotifyFileEntry,
  InventoryEntry,
  MemfdInodeEntry,
  MmEntry,
  PagemapEntry,
  PagemapHead,
  PipeDataEntry,
  PipeEntry,
  PstreeEntry,
  RegFileEntry,
  RemapFilePathEntry,
  SignalfdEntry,
  SkPacketEntry,
  TaskKobjIdsEntry,
  TimerfdEntry,
  TtyDataEntry,
  TtyFileEntry,
  TtyInfoEntry,
  UnixSkEntry,
} from "./entry_types.ts";

/** An entry with the raw bytes that follow it in the image (image_kinds.ts `extra`). */
export type WithExtra<T> = T & { extra: Uint8Array };

/** Entry type of each image, by the name the readers take. */
export interface EntryTypes {
  inventory: InventoryEntry;
  pstree: PstreeEntry;
  core: CoreEntry;
  ids: TaskKobjIdsEntry;
  fs: FsEntry;
  mm: MmEntry;
  /** The first entry is a {@link PagemapHead}; see {@link readPagemap}. */
  pagemap: PagemapHead | PagemapEntry;
  "pagemap-shmem": PagemapHead | PagemapEntry;
  fdinfo: FdinfoEntry;
  files: FileEntry;
  /** `extra` is the queued data (`bytes` long). */
  "pipes-data": WithExtra<PipeDataEntry>;
  "fifo-data": WithExtra<PipeDataEntry>;
  /** `extra` is the packet (`length` bytes). */
  "sk-queues": WithExtra<SkPacketEntry>;
  "remap-fpath": RemapFilePathEntry;
  /**
   * The first entry is a {@link GhostFileEntry}: without `chunks`, its `extra`
   * is the whole content; with `chunks`, chunks (`len` bytes at `off`) follow.
   */
  "ghost-file": (GhostFileEntry & { extra?: Uint8Array }) | WithExtra<GhostChunkEntry>;
  "tty-info": TtyInfoEntry;
  "tty-data": TtyDataEntry;
  memfd: MemfdInodeEntry;
  filelocks: FileLockEntry;
  // Per-type images of CRIU before files.img (read only when files.img is absent).
  "reg-files": RegFileEntry;
  pipes: PipeEntry;
  fifo: FifoEntry;
  unixsk: UnixSkEntry;
  inetsk: InetSkEntry;
  eventfd: EventfdFileEntry;
  eventpoll: EventpollFileEntry;
  "eventpoll-tfd": EventpollTfdEntry;
  signalfd: SignalfdEntry;
  timerfd: TimerfdEntry;
  inotify: InotifyFileEntry;
  tty: TtyFileEntry;
}

export type ImageName = keyof EntryTypes;

/** CRIU's image name for each reader name; per-id images take the id in the file name. */
const IMAGES: Record<ImageName, { magic: string; perId?: "dec" | "hex" }> = {
  inventory: { magic: "INVENTORY" },
  pstree: { magic: "PSTREE" },
  core: { magic: "CORE", perId: "dec" },
  ids: { magic: "IDS", perId: "dec" },
  fs: { magic: "FS", perId: "dec" },
  mm: { magic: "MM", perId: "dec" },
  pagemap: { magic: "PAGEMAP", perId: "dec" },
  "pagemap-shmem": { magic: "PAGEMAP", perId: "dec" },
  fdinfo: { magic: "FDINFO", perId: "dec" },
  files: { magic: "FILES" },
  "pipes-data": { magic: "PIPES_DATA" },
  "fifo-data": { magic: "FIFO_DATA" },
  "sk-queues": { magic: "SK_QUEUES" },
  "remap-fpath": { magic: "REMAP_FPATH" },
  "ghost-file": { magic: "GHOST_FILE", perId: "hex" },
  "tty-info": { magic: "TTY_INFO" },
  "tty-data": { magic: "TTY_DATA" },
  memfd: { magic: "MEMFD_INODE" },
  filelocks: { magic: "FILE_LOCKS" },
  "reg-files": { magic: "REG_FILES" },
  pipes: { magic: "PIPES" },
  fifo: { magic: "FIFO" },
  unixsk: { magic: "UNIXSK" },
  inetsk: { magic: "INETSK" },
  eventfd: { magic: "EVENTFD_FILE" },
  eventpoll: { magic: "EVENTPOLL_FILE" },
  "eventpoll-tfd": { magic: "EVENTPOLL_TFD" },
  signalfd: { magic: "SIGNALFD" },
  timerfd: { magic: "TIMERFD" },
  inotify: { magic: "INOTIFY_FILE" },
  tty: { magic: "TTY_FILES" },
};

/** The file name of an image: `imageFileName("fdinfo", 2)` is "fdinfo-2.img". */
export function imageFileName(image: ImageName, id?: number): string {
  const desc = IMAGES[image];
  if (desc.perId === undefined) return `${image}.img`;
  if (id === undefined) throw new TypeError(`the ${image} image needs an id`);
  return `${image}-${desc.perId === "hex" ? id.toString(16) : id}.img`;
}

/**
 * Entries of one image in `dir`, checked against the image's magic, with
 * declared defaults applied (mnt_id = -1...). Zero entries when the file is
 * missing or empty. Throws ImageError for anything malformed. With `limit`,
 * only the first `limit` entries are decoded.
 */
export function readEntries<K extends ImageName>(
  dir: string,
  image: K,
  id?: number,
  limit?: number,
): EntryTypes[K][] {
  const path = join(dir, imageFileName(image, id));
  return entriesOfBytes(readImageBytes(path, true), path, image, limit);
}

/** {@link readEntries} of bytes already read (an archive member); `path` names it in errors. */
export function entriesOfBytes<K extends ImageName>(
  bytes: Uint8Array | undefined,
  path: string,
  image: K,
  limit?: number,
): EntryTypes[K][] {
  if (bytes === undefined || bytes.length === 0) return [];
  const magic = IMAGES[image].magic;
  const header = readHeader(bytes, path, magic);
  const kind = imageKind(magic) as ImageKind;
  const entries: object[] = decodeBody(bytes, header, kind, path, true, undefined, limit);
  return entries as EntryTypes[K][];
}

// The decoder's objects are the generated entry types: schema_json.ts and
// entry_types.ts are generated together from proto/ (a test keeps both fresh),
// and the image table names each image's message.

/** What {@link eachEntry} hands over: an entry, its index, and where its message lies. */
export type EntryCallback<T> = (
  entry: T,
  index: number,
  bytes?: Uint8Array,
  start?: number,
  end?: number,
) => void;

/**
 * {@link readEntries} one entry at a time: `fn` gets each entry, its index and
 * the bounds of its message in the image's bytes, and nothing keeps them (the
 * model of 100,000 fds keeps what it needs only).
 */
export function eachEntry<K extends ImageName>(
  dir: string,
  image: K,
  id: number | undefined,
  fn: EntryCallback<EntryTypes[K]>,
): void {
  const path = join(dir, imageFileName(image, id));
  eachEntryOfBytes(readImageBytes(path, true), path, image, fn);
}

/** {@link eachEntry} of bytes already read (an archive member). */
export function eachEntryOfBytes<K extends ImageName>(
  bytes: Uint8Array | undefined,
  path: string,
  image: K,
  fn: EntryCallback<EntryTypes[K]>,
): void {
  if (bytes === undefined || bytes.length === 0) return;
  const magic = IMAGES[image].magic;
  const header = readHeader(bytes, path, magic);
  const kind = imageKind(magic) as ImageKind;
  decodeBody(bytes, header, kind, path, true, fn as EntryCallback<object>);
}

/** A pagemap image split into its head and its entries; undefined when missing. */
export function readPagemap(
  dir: string,
  pid: number,
  image: "pagemap" | "pagemap-shmem" = "pagemap",
): { head: PagemapHead; entries: PagemapEntry[] } | undefined {
  const all = readEntries(dir, image, pid);
  if (all.length === 0) return undefined;
  return { head: all[0] as PagemapHead, entries: all.slice(1) as PagemapEntry[] };
}
