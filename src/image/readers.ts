/**
 * Typed readers of the images the restorer needs, by CRIU's file names.
 * A missing image file reads as zero entries, as in CRIU.
 */
import { join } from "../sys/path.ts";
import { decodeBody, readHeader } from "./framing.ts";
import { readImageBytes } from "./image_open.ts";
import { type ImageKind, imageKind, type ImageRow, IMAGES } from "./image_table.ts";
import type {
  GhostChunkEntry,
  GhostFileEntry,
  Messages,
  PagemapEntry,
  PagemapHead,
} from "./entry_types.ts";

/** An entry with the raw bytes that follow it in the image (the table's `extra`). */
export type WithExtra<T> = T & { extra: Uint8Array };

type Rows = typeof IMAGES;
/** "fdinfo-%d" → "fdinfo": a reader's name is its file name without the id. */
type ReaderOf<P> = P extends `${infer Name}-%${"d" | "x"}` ? Name : P;
type ReadersOf<R> = R extends { readonly files: readonly (infer P)[] } ? ReaderOf<P> : never;

/** The images the readers take, by the names of their files ("fdinfo", "pipes-data"...). */
export type ImageName = { [C in keyof Rows]: ReadersOf<Rows[C]> }[keyof Rows];

type RowOf<K extends ImageName> = {
  [C in keyof Rows]: K extends ReadersOf<Rows[C]> ? Rows[C] : never;
}[keyof Rows];

/** pagemap: the first entry is a {@link PagemapHead}; see {@link readPagemap}. */
type PagemapEntries = PagemapHead | PagemapEntry;

/**
 * ghost-file: the first entry is a {@link GhostFileEntry}: without `chunks`,
 * its `extra` is the whole content; with `chunks`, chunks (`len` bytes at
 * `off`) follow.
 */
type GhostEntries = (GhostFileEntry & { extra?: Uint8Array }) | WithExtra<GhostChunkEntry>;

/** The entries of an image, from its row; `extra` is the payload its extra fields size. */
type EntryOf<R> = R extends { readonly layout: "pagemap" } ? PagemapEntries
  : R extends { readonly layout: "ghost" } ? GhostEntries
  : R extends
    { readonly message: infer M extends keyof Messages; readonly extra: readonly string[] }
    ? WithExtra<Messages[M]>
  : R extends { readonly message: infer M extends keyof Messages } ? Messages[M]
  : never;

/** Entry type of each image, by the name the readers take: derived from the image table. */
export type EntryTypes = { [K in ImageName]: EntryOf<RowOf<K>> };

/** A reader's image, and how an id goes in its file name (decimal, hex), if it takes one. */
interface Reader {
  readonly kind: ImageKind;
  readonly perId?: "d" | "x";
}

const readers = new Map<string, Reader>();
for (const [crit, row] of Object.entries(IMAGES) as [string, ImageRow][]) {
  for (const file of row.files ?? []) {
    const m = /^(.*)-%([dx])$/.exec(file);
    readers.set(m ? m[1] : file, {
      kind: imageKind(crit) as ImageKind,
      perId: m ? m[2] as "d" | "x" : undefined,
    });
  }
}

const readerOf = (image: ImageName): Reader => readers.get(image) as Reader;

/** The file name of an image: `imageFileName("fdinfo", 2)` is "fdinfo-2.img". */
export function imageFileName(image: ImageName, id?: number): string {
  const { perId } = readerOf(image);
  if (perId === undefined) return `${image}.img`;
  if (id === undefined) throw new TypeError(`the ${image} image needs an id`);
  return `${image}-${perId === "x" ? id.toString(16) : id}.img`;
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
  const { kind } = readerOf(image);
  const header = readHeader(bytes, path, kind.name);
  const entries: object[] = decodeBody(bytes, header, kind, path, true, undefined, limit);
  return entries as EntryTypes[K][];
}

// The decoder's objects are the generated entry types: schema_json.ts and
// entry_types.ts are generated together from proto/ (a test keeps both fresh),
// and the image table names each image's message (as a key of Messages).

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
  const { kind } = readerOf(image);
  const header = readHeader(bytes, path, kind.name);
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
