/**
 * The members of a tar archive, found in one pass. A plain tar is walked
 * with reads at header offsets only, and members stay in the file (read when
 * used). A gzip tar is one stream: the pass keeps the members `keep` asks for
 * in memory and only notes the others, so memory pages are never held unless
 * a command needs them. Limits make a tar bomb fail fast with one line.
 */
import {
  applyPax,
  BLOCK,
  type Header,
  longName,
  parseHeader,
  type Pending,
  tarError,
} from "./tar_header.ts";

export interface Member {
  name: string;
  /** Where the data starts in the (uncompressed) archive. */
  offset: number;
  size: number;
  /** The data, when the member was kept from a compressed stream. */
  data?: Uint8Array;
}

export interface Limits {
  members: number;
  total: number;
  kept: number;
}

export const LIMITS: Readonly<Limits> = {
  /** More members than a checkpoint of 100,000 tasks has is a bomb, not a checkpoint. */
  members: 1_000_000,
  /** Bytes the whole (uncompressed) archive may hold. */
  total: 2 ** 40,
  /** An image decoded in memory; pages are never read whole. */
  kept: 2 ** 31,
};

const pad = (n: number) => Math.ceil(n / BLOCK) * BLOCK;

/** Collects members, checking count, total and duplicates. */
class Collector {
  members = new Map<string, Member>();
  pending: Pending = {};
  constructor(readonly archive: string, readonly limits: Limits) {}

  add(h: Header & { kind: "file" | "dir" }, offset: number): Member | undefined {
    this.pending = {};
    const { members, total } = this.limits;
    if (this.members.size >= members) {
      throw tarError(this.archive, `more than ${members} members; refused as a tar bomb`);
    }
    if (offset + h.size > total) {
      throw tarError(this.archive, `holds more than ${total} bytes; refused as a tar bomb`);
    }
    if (h.kind === "dir") return undefined;
    if (this.members.has(h.name)) {
      throw tarError(this.archive, `member ${h.name} appears twice; refused`);
    }
    const m = { name: h.name, offset, size: h.size };
    this.members.set(h.name, m);
    return m;
  }

  meta(h: Header, data: Uint8Array): void {
    if (h.kind === "pax") applyPax(data, this.archive, this.pending);
    else if (h.kind === "longname") this.pending.path = longName(data);
  }
}

/** Indexes a plain tar file through positioned reads. */
export function indexTarFile(
  file: Deno.FsFile,
  archive: string,
  limits: Limits = LIMITS,
): Map<string, Member> {
  const end = file.statSync().size;
  const c = new Collector(archive, limits);
  const read = (at: number, n: number): Uint8Array => {
    if (at + n > end) throw tarError(archive, `truncated at ${end} (a member needs ${at + n})`);
    return readAt(file, at, n, archive);
  };
  let at = 0;
  for (;;) {
    if (at + BLOCK > end) throw tarError(archive, `truncated at ${end}: no end-of-archive blocks`);
    const h = parseHeader(read(at, BLOCK), archive, at, c.pending);
    at += BLOCK;
    if (h.kind === "end") return c.members;
    if (h.kind === "file" || h.kind === "dir") {
      if (at + h.size > end) {
        throw tarError(
          archive,
          `truncated: member ${h.name} needs ${h.size} bytes, ${end - at} left`,
        );
      }
      c.add(h, at);
    } else if (h.kind !== "global") {
      if (h.size > 1 << 20) throw tarError(archive, "an extended header over 1 MiB; refused");
      c.meta(h, read(at, h.size));
    }
    at += pad(h.size);
  }
}

/** Exactly `n` bytes of `file` from `at`. */
export function readAt(file: Deno.FsFile, at: number, n: number, archive: string): Uint8Array {
  const out = new Uint8Array(n);
  file.seekSync(at, Deno.SeekMode.Start);
  let got = 0;
  while (got < n) {
    const r = file.readSync(out.subarray(got));
    if (r === null || r === 0) throw tarError(archive, `truncated at ${at + got}`);
    got += r;
  }
  return out;
}

/** Exact reads and skips over a byte stream. */
class StreamReader {
  #chunks: Uint8Array[] = [];
  #have = 0;
  pos = 0;
  constructor(readonly reader: ReadableStreamDefaultReader<Uint8Array>, readonly archive: string) {}

  async #read(): Promise<ReadableStreamReadResult<Uint8Array>> {
    try {
      return await this.reader.read();
    } catch (e) {
      throw tarError(
        this.archive,
        `corrupt compressed data (${e instanceof Error ? e.message : e})`,
      );
    }
  }

  async #fill(n: number): Promise<void> {
    while (this.#have < n) {
      const got = await this.#read();
      if (got.done) throw tarError(this.archive, `truncated at ${this.pos + this.#have}`);
      this.#chunks.push(got.value);
      this.#have += got.value.length;
    }
  }

  async take(n: number): Promise<Uint8Array> {
    await this.#fill(n);
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const c = this.#chunks[0];
      const k = Math.min(c.length, n - at);
      out.set(c.subarray(0, k), at);
      at += k;
      if (k === c.length) this.#chunks.shift();
      else this.#chunks[0] = c.subarray(k);
    }
    this.#have -= n;
    this.pos += n;
    return out;
  }

  /**
   * Reads to the end of the stream, so that gzip's and zstd's checks of the
   * whole stream run: a flipped bit inside a member is an error, not data.
   */
  async drain(limit: number): Promise<void> {
    let extra = this.#have;
    for (;;) {
      const got = await this.#read();
      if (got.done) return;
      extra += got.value.length;
      if (extra > limit) throw tarError(this.archive, `more than ${limit} bytes after its end`);
    }
  }

  async skip(n: number): Promise<void> {
    while (n > 0) {
      if (this.#have === 0) await this.#fill(1);
      const c = this.#chunks[0];
      const k = Math.min(c.length, n);
      if (k === c.length) this.#chunks.shift();
      else this.#chunks[0] = c.subarray(k);
      this.#have -= k;
      this.pos += k;
      n -= k;
    }
  }
}

/** Indexes a tar stream, keeping the data of the members `keep` names. */
export async function indexTarStream(
  stream: ReadableStream<Uint8Array>,
  archive: string,
  keep: (name: string, size: number) => boolean,
  limits: Limits = LIMITS,
): Promise<Map<string, Member>> {
  const reader = stream.getReader();
  const s = new StreamReader(reader, archive);
  const c = new Collector(archive, limits);
  try {
    for (;;) {
      const at = s.pos;
      const h = parseHeader(await s.take(BLOCK), archive, at, c.pending);
      if (h.kind === "end") {
        await s.drain(1 << 20); // tar pads to its record size (10 KiB for GNU tar)
        return c.members;
      }
      if (h.kind === "file" || h.kind === "dir") {
        const m = c.add(h, s.pos);
        if (m && keep(m.name, m.size)) {
          if (m.size > limits.kept) {
            throw tarError(archive, `member ${m.name} is too large to read`);
          }
          m.data = await s.take(m.size);
          await s.skip(pad(m.size) - m.size);
        } else {
          await s.skip(pad(h.size));
        }
      } else {
        if (h.size > 1 << 20) throw tarError(archive, "an extended header over 1 MiB; refused");
        const data = await s.take(h.size);
        await s.skip(pad(h.size) - h.size);
        if (h.kind !== "global") c.meta(h, data);
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}
