/**
 * Reads a task's argv and environment from its memory images: mm.img gives
 * the address ranges, pagemap-PID.img says which pages of pages-N.img hold
 * which addresses.
 */
import type { MmEntry, PagemapEntry, PagemapHead } from "../image/mod.ts";
import type { ImageSource } from "./source.ts";

const PAGE = 4096;
/** pagemap_entry.flags: the page is in the parent snapshot, not in this dump. */
const PE_PARENT = 1;
/** pagemap_entry.flags: the page's content is in the pages image. */
const PE_PRESENT = 4;

export interface ProcessArgs {
  argv?: string[];
  env?: string[];
  /**
   * The argv area does not end with a NUL: its last string runs on past the
   * area, which exec never leaves (a process title longer than the command line).
   */
  argvCut?: boolean;
}

/** Splits NUL-terminated strings; a missing final NUL still ends the last one. */
function splitStrings(bytes: Uint8Array): string[] {
  const text = new TextDecoder().decode(bytes);
  const parts = text.split("\0");
  if (parts[parts.length - 1] === "") parts.pop();
  return parts;
}

/** A pagemap image as its head and its entries; undefined when it is missing. */
function pagemapOf(
  src: ImageSource,
  image: "pagemap" | "pagemap-shmem",
  id: number,
): { head: PagemapHead; entries: PagemapEntry[] } | undefined {
  const [head, ...entries] = src.entries(image, id);
  // The image table's "pagemap" layout: a pagemap_head, then pagemap_entry's.
  return head && { head: head as PagemapHead, entries: entries as PagemapEntry[] };
}

export function readProcessArgs(src: ImageSource, pid: number, mm: MmEntry): ProcessArgs {
  const pagemap = pagemapOf(src, "pagemap", pid);
  if (!pagemap) return {};
  const pagesId = pagemap.head.pages_id;
  // Where each present run of pages starts in the pages image.
  const runs: { start: bigint; end: bigint; fileOffset: number }[] = [];
  let offset = 0;
  for (const e of pagemap.entries) {
    const flags = e.flags ?? PE_PRESENT;
    const nr = e.nr_pages;
    const inParent = (flags & PE_PARENT) !== 0 || e.in_parent === true;
    if ((flags & PE_PRESENT) === 0 || inParent) continue;
    const start = e.vaddr;
    runs.push({ start, end: start + BigInt(nr * PAGE), fileOffset: offset });
    offset += nr * PAGE;
  }
  const read = (from: bigint, to: bigint): Uint8Array | undefined => {
    if (to <= from) return undefined;
    if (to - from > 1n << 20n) return undefined; // not a plausible argv
    // The range may cross several pagemap entries: copy it run by run.
    const out = new Uint8Array(Number(to - from));
    let at = from;
    while (at < to) {
      const run = runs.find((r) => at >= r.start && at < r.end);
      if (!run) return undefined;
      const stop = to < run.end ? to : run.end;
      const len = Number(stop - at);
      const bytes = src.readRaw(
        `pages-${pagesId}.img`,
        run.fileOffset + Number(at - run.start),
        len,
      );
      if (bytes.length !== len) return undefined;
      out.set(bytes, Number(at - from));
      at = stop;
    }
    return out;
  };
  const argv = read(mm.mm_arg_start, mm.mm_arg_end);
  const env = read(mm.mm_env_start, mm.mm_env_end);
  return {
    argv: argv && splitStrings(argv),
    env: env && splitStrings(env),
    ...(argv && argv.at(-1) !== 0 ? { argvCut: true } : {}),
  };
}

/** Present pages of a shared-memory object (a memfd's content), by offset. */
export interface ShmemRun {
  readonly offset: number;
  readonly bytes: Uint8Array;
}

/**
 * The content of shared memory `shmid` (pagemap-shmem-SHMID.img; the entries'
 * vaddr is the offset in the object), cut at `size`. Pages not in the dump are zero.
 */
export function readShmem(src: ImageSource, shmid: number, size: number): ShmemRun[] {
  const pagemap = pagemapOf(src, "pagemap-shmem", shmid);
  if (!pagemap) return [];
  const pagesFile = `pages-${pagemap.head.pages_id}.img`;
  const runs: ShmemRun[] = [];
  let fileOffset = 0;
  for (const e of pagemap.entries) {
    const flags = e.flags ?? PE_PRESENT;
    const len = e.nr_pages * PAGE;
    const inParent = (flags & PE_PARENT) !== 0 || e.in_parent === true;
    if ((flags & PE_PRESENT) === 0 || inParent) continue;
    const offset = Number(e.vaddr);
    const want = Math.min(len, size - offset);
    if (want > 0) {
      const bytes = src.readRaw(pagesFile, fileOffset, want);
      if (bytes.length !== want) {
        throw src.error(pagesFile, `Unexpected EOF on ${pagesFile} (shmem ${shmid})`);
      }
      runs.push({ offset, bytes });
    }
    fileOffset += len;
  }
  return runs;
}
