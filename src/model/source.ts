/**
 * The model's window on an image directory: decoded entries by image name
 * (a missing image reads as empty, as in CRIU), raw reads for memory pages,
 * and errors that name the image.
 */
import { join } from "../sys/path.ts";
import {
  eachEntry,
  type EntryCallback,
  ImageError,
  imageFileName,
  type ImageName,
  readEntries,
} from "../image/mod.ts";

/** A decoded entry: snake_case fields, enums as numbers, 64-bit as bigint. */
export type Entry = Record<string, unknown>;

export interface ImageSource {
  readonly dir: string;
  /** Entries of an image (`"fdinfo", 2` is fdinfo-2.img); [] when it does not exist. */
  entries(image: ImageName, id?: number, opts?: { required?: boolean }): Entry[];
  /**
   * The entries of an image one by one, kept nowhere (files.img, fdinfo: one per
   * fd), with the bounds of each entry's message in the image bytes when known.
   */
  each(image: ImageName, id: number | undefined, fn: EntryCallback<Entry>): void;
  /** True when the image file exists. */
  has(image: ImageName, id?: number): boolean;
  /** Up to `length` bytes of a raw image file (pages-N.img) from `offset`. */
  readRaw(fileName: string, offset: number, length: number): Uint8Array;
  /** An ImageError naming the image file (and the entry index when given). */
  error(fileName: string, message: string, entry?: number): ImageError;
}

/** An {@link ImageSource} over a directory; each image is decoded once. */
export function directorySource(dir: string): ImageSource {
  const cache = new Map<string, Entry[]>();
  const exists = (name: string) => {
    try {
      return Deno.statSync(join(dir, name)).isFile;
    } catch {
      return false;
    }
  };
  const source: ImageSource = {
    dir,
    has: (image, id) => exists(imageFileName(image, id)),
    entries(image, id, opts) {
      const name = imageFileName(image, id);
      let list = cache.get(name);
      if (list) return list;
      if (opts?.required && !exists(name)) {
        throw source.error(name, `no such image in ${dir}`);
      }
      list = readEntries(dir, image, id) as unknown as Entry[];
      cache.set(name, list);
      return list;
    },
    each(image, id, fn) {
      const list = cache.get(imageFileName(image, id));
      if (list) list.forEach((e, i) => fn(e, i));
      else eachEntry(dir, image, id, fn as EntryCallback<unknown>);
    },
    readRaw(fileName, offset, length) {
      let file: Deno.FsFile;
      try {
        file = Deno.openSync(join(dir, fileName), { read: true });
      } catch (e) {
        throw source.error(fileName, `cannot open: ${e instanceof Error ? e.message : e}`);
      }
      try {
        // Lengths and offsets come from other images: memory follows the file, not them.
        const size = file.statSync().size;
        if (!(offset >= 0 && offset <= size)) return new Uint8Array(0);
        file.seekSync(offset, Deno.SeekMode.Start);
        const out = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
        let got = 0;
        while (got < out.length) {
          const n = file.readSync(out.subarray(got));
          if (n === null || n === 0) break;
          got += n;
        }
        return out.subarray(0, got);
      } finally {
        file.close();
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
