/**
 * An {@link ImageSource} over a container checkpoint archive: Podman's
 * `checkpoint --export` and CRI-O's forensic checkpoints put the CRIU images
 * under `checkpoint/` beside `config.dump`, `spec.dump` and more; a plain
 * `tar -C images` has them at the top. Images are read straight from the
 * archive, never extracted. gzip goes through the native DecompressionStream;
 * zstd, which it lacks, through node:zlib, imported only for a zstd archive
 * (its import costs ~40 ms of start-up).
 */
import { ImageError } from "../image/mod.ts";
import { eachEntryOfBytes, entriesOfBytes, imageFileName } from "../image/readers.ts";
import { EntryCache, type ImageSource } from "../model/source.ts";
import { indexTarFile, indexTarStream, type Member, readAt } from "./tar_index.ts";
import { tarError } from "./tar_header.ts";
import { zstdStream } from "./zstd_stream.ts";

/** The kind of an archive from its first bytes; undefined for anything else. */
export function archiveKind(head: Uint8Array): "tar" | "gzip" | "zstd" | undefined {
  if (head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return "zstd";
  if (head.length >= 262 && new TextDecoder().decode(head.subarray(257, 262)) === "ustar") {
    return "tar";
  }
  return undefined;
}

export interface ArchiveOptions {
  /** Bytes of memory pages a compressed archive may keep in memory (default 512 MiB). */
  pagesBudget?: number;
}

const PAGES = /(^|\/)pages-\d+\.img$/;

/** A checkpoint archive, opened; members are read when asked for. */
export interface CheckpointArchive {
  source: ImageSource;
  /** True when memory pages were left out (argv cannot be read). */
  pagesDropped: boolean;
  /** Where the images are inside the archive: "checkpoint/" or "". */
  prefix: string;
  /** The files beside inventory.img (image names, without the prefix), sorted. */
  names(): string[];
  /** A member's bytes (config.dump...); undefined when absent. */
  member(name: string): Uint8Array | undefined;
  close(): void;
}

export async function openArchive(
  path: string,
  opts: ArchiveOptions = {},
): Promise<CheckpointArchive> {
  const file = Deno.openSync(path, { read: true });
  try {
    const size = file.statSync().size;
    const head = size ? readAt(file, 0, Math.min(size, 512), path) : new Uint8Array(0);
    const kind = archiveKind(head);
    let members: Map<string, Member>;
    if (kind === "tar") {
      members = indexTarFile(file, path);
    } else if (kind === "gzip" || kind === "zstd") {
      file.seekSync(0, Deno.SeekMode.Start);
      const stream = kind === "gzip"
        ? chunksOf(file).pipeThrough(new DecompressionStream("gzip"))
        : await zstdStream(chunksOf(file));
      // Pages hold argv and memfd contents; beyond the budget they are dropped, not held.
      let budget = opts.pagesBudget ?? 512 << 20;
      members = await indexTarStream(stream, path, (n, size) => {
        if (!PAGES.test(n)) return true;
        if (size > budget) return false;
        budget -= size;
        return true;
      });
      file.close(); // all that is kept was read
    } else {
      throw tarError(path, "not a checkpoint archive (tar, tar.gz, tar.zst) nor a directory");
    }
    return fromMembers(path, kind === "tar" ? file : undefined, members);
  } catch (e) {
    try {
      file.close();
    } catch { /* closed already */ }
    throw e;
  }
}

/** `file`: the plain tar members are read from; undefined when all data kept was read. */
function fromMembers(
  path: string,
  file: Deno.FsFile | undefined,
  members: Map<string, Member>,
): CheckpointArchive {
  const prefix = members.has("checkpoint/inventory.img")
    ? "checkpoint/"
    : members.has("inventory.img")
    ? ""
    : undefined;
  if (prefix === undefined) {
    throw tarError(path, "no inventory.img at the top or under checkpoint/: not a CRIU checkpoint");
  }
  const bytes = (name: string): Uint8Array | undefined => {
    const m = members.get(name);
    if (!m) return undefined;
    if (m.data) return m.data;
    if (!file) {
      throw tarError(path, `${name}: not kept (pages over the budget of a compressed archive)`);
    }
    return readAt(file, m.offset, m.size, path);
  };
  const cache = new EntryCache();
  const label = (name: string) => `${path}:${prefix}${name}`;
  const source: ImageSource = {
    dir: path,
    has: (image, id) => members.has(prefix + imageFileName(image, id)),
    entries(image, id, o) {
      const name = imageFileName(image, id);
      const limit = o?.first ? 1 : undefined;
      const key = limit ? `${name}#first` : name;
      let list = cache.get(image, key) ??
        (limit ? cache.get(image, name)?.slice(0, 1) : undefined);
      if (list) return list;
      const data = bytes(prefix + name);
      if (o?.required && data === undefined) throw source.error(name, `no such image in ${path}`);
      list = entriesOfBytes(data, label(name), image, limit);
      cache.set(key, list);
      return list;
    },
    each(image, id, fn) {
      const name = imageFileName(image, id);
      const list = cache.get(image, name);
      if (list) list.forEach((e, i) => fn(e, i));
      else eachEntryOfBytes(bytes(prefix + name), label(name), image, fn);
    },
    readRaw(fileName, offset, length) {
      const m = members.get(prefix + fileName);
      if (!m) throw source.error(fileName, `no such image in ${path}`);
      if (!(offset >= 0 && offset <= m.size)) return new Uint8Array(0);
      const n = Math.max(0, Math.min(length, m.size - offset));
      if (m.data) return m.data.subarray(offset, offset + n);
      if (!file) {
        throw source.error(
          fileName,
          "not kept: over the memory pages budget of a compressed archive (use a plain tar)",
        );
      }
      return readAt(file, m.offset + offset, n, path);
    },
    error(fileName, message, entry) {
      const where = entry === undefined ? "" : ` entry ${entry}`;
      return new ImageError(`${label(fileName)}${where}: ${message}`, {
        image: label(fileName),
        entry: entry ?? -1,
        offset: 0,
      });
    },
  };
  return {
    source,
    prefix,
    pagesDropped: [...members.values()].some((m) => !file && !m.data && PAGES.test(m.name)),
    names: () =>
      [...members.keys()].filter((n) =>
        n.startsWith(prefix) && !n.slice(prefix.length).includes("/")
      )
        .map((n) => n.slice(prefix.length)).sort(),
    member: (name) => bytes(name),
    close: () => file?.close(),
  };
}

/**
 * The file's bytes from its offset, read synchronously. Not `file.readable`
 * nor an async read: an op in flight keeps the fd open some ticks after the
 * close() that follows a cancel; a regular file's read does not block anyway.
 */
function chunksOf(file: Deno.FsFile): ReadableStream<Uint8Array<ArrayBuffer>> {
  return new ReadableStream<Uint8Array<ArrayBuffer>>({
    pull(controller) {
      const buf = new Uint8Array(1 << 16);
      let n: number | null;
      try {
        n = file.readSync(buf);
      } catch {
        n = null; // closed after a cancel: the end
      }
      if (n === null) controller.close();
      else controller.enqueue(buf.subarray(0, n));
    },
  });
}
