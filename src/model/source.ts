/**
 * The model's window on an image directory: decoded entries by image name
 * (a missing image reads as empty, as in CRIU), raw reads for memory pages,
 * and errors that name the image.
 */
import { join } from "../sys/path.ts";
import {
  eachEntry,
  type EntryCallback,
  type EntryTypes,
  ImageError,
  imageFileName,
  type ImageName,
  openImage,
  readEntries,
} from "../image/mod.ts";
import { close, lseek, read } from "../sys/fd.ts";
import { existsNoFollow } from "../sys/dir_entry.ts";
import { SEEK } from "../sys/consts.ts";

export interface ImageSource {
  readonly dir: string;
  /**
   * Entries of an image (`"fdinfo", 2` is fdinfo-2.img); [] when it does not
   * exist. With `first`, at most the first entry is decoded (core, ids, fs, mm:
   * the only one CRIU reads).
   */
  entries<K extends ImageName>(
    image: K,
    id?: number,
    opts?: { required?: boolean; first?: boolean },
  ): EntryTypes[K][];
  /**
   * The entries of an image one by one, kept nowhere (files.img, fdinfo: one per
   * fd), with the bounds of each entry's message in the image bytes when known.
   */
  each<K extends ImageName>(
    image: K,
    id: number | undefined,
    fn: EntryCallback<EntryTypes[K]>,
  ): void;
  /** True when the image file exists. */
  has(image: ImageName, id?: number): boolean;
  /** Up to `length` bytes of a raw image file (pages-N.img) from `offset`. */
  readRaw(fileName: string, offset: number, length: number): Uint8Array;
  /** An ImageError naming the image file (and the entry index when given). */
  error(fileName: string, message: string, entry?: number): ImageError;
}

/** Decoded images by file name ("#first" when only the first entry was read). */
export class EntryCache {
  private readonly lists = new Map<string, unknown[]>();

  /** The entries of `image` kept under `key`; the key names the image, so the type holds. */
  get<K extends ImageName>(_image: K, key: string): EntryTypes[K][] | undefined {
    return this.lists.get(key) as EntryTypes[K][] | undefined;
  }

  set(key: string, list: unknown[]): void {
    this.lists.set(key, list);
  }
}

/** An {@link ImageSource} over a directory; each image is decoded once. */
export function directorySource(dir: string): ImageSource {
  const cache = new EntryCache();
  // Anything at the name counts: reading it says what is wrong with a FIFO or a symlink.
  const exists = (name: string) => existsNoFollow(join(dir, name));
  const source: ImageSource = {
    dir,
    has: (image, id) => exists(imageFileName(image, id)),
    entries(image, id, opts) {
      const name = imageFileName(image, id);
      const limit = opts?.first ? 1 : undefined;
      const key = limit ? `${name}#first` : name;
      let list = cache.get(image, key) ?? (limit ? cache.get(image, name)?.slice(0, 1) : undefined);
      if (list) return list;
      if (opts?.required && !exists(name)) {
        throw source.error(name, `no such image in ${dir}`);
      }
      list = readEntries(dir, image, id, limit);
      cache.set(key, list);
      return list;
    },
    each(image, id, fn) {
      const list = cache.get(image, imageFileName(image, id));
      if (list) list.forEach((e, i) => fn(e, i));
      else eachEntry(dir, image, id, fn);
    },
    readRaw(fileName, offset, length) {
      // A symlink, FIFO or device in place of pages-N.img is refused like any image.
      const { fd, size } = openImage(join(dir, fileName));
      try {
        // Lengths and offsets come from other images: memory follows the file, not them.
        if (!(offset >= 0 && offset <= size)) return new Uint8Array(0);
        const out = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
        lseek(fd, BigInt(offset), SEEK.SET);
        let got = 0;
        while (got < out.length) {
          const n = read(fd, out.subarray(got));
          if (n === 0) break;
          got += n;
        }
        return out.subarray(0, got);
      } finally {
        close(fd);
      }
    },
    error(fileName, message, entry) {
      const where = entry === undefined ? "" : ` entry ${entry}`;
      return new ImageError(`${fileName}${where}: ${message}`, {
        image: fileName,
        entry: entry ?? -1,
        offset: 0,
      });
    },
  };
  return source;
}
