/** `fdrestore decode`: crit-compatible JSON of one image, or of every image of a directory. */
import { join } from "../sys/path.ts";
import {
  checkImageBytes,
  ImageError,
  readImageBytes,
  STDIN,
  writeImageJsonText,
} from "../image/mod.ts";
import { isArchivePath, openArchive } from "../archive/mod.ts";
import { log } from "../log.ts";
import type { DecodeOptions } from "./options.ts";
import { writeStdoutBytes } from "./output.ts";
import { OutFile } from "./out_file.ts";
import { OutputError } from "../errors.ts";

const NL = new Uint8Array([0x0a]);
const encoder = new TextEncoder();

export async function runDecode(opts: DecodeOptions): Promise<number> {
  if (opts.imagesDir !== undefined && isArchivePath(opts.imagesDir)) {
    const archive = await openArchive(opts.imagesDir);
    try {
      const read = (name: string) => archive.member(archive.prefix + name) as Uint8Array;
      return decodeAll(archive.names(), read, `${opts.imagesDir}:${archive.prefix}`, opts);
    } finally {
      archive.close();
    }
  }
  if (opts.imagesDir !== undefined) {
    const dir = opts.imagesDir;
    const names = [...Deno.readDirSync(dir)].filter((e) => e.isFile).map((e) => e.name).sort();
    return decodeAll(names, (name) => readImageBytes(join(dir, name)), join(dir, ""), opts);
  }
  const input = opts.input ?? STDIN;
  // The output is made first (a bad -o fails before any decoding) and named last.
  const out = opts.output === undefined ? undefined : OutFile.create("-o", opts.output);
  try {
    const bytes = readImageBytes(input);
    if (out) return writeJsonFile(out, bytes, input, opts.pretty);
    // Text goes out in pieces once it is large (memory stays bounded); a bad
    // image of ordinary size still prints no partial JSON.
    writeImageJsonText(bytes, input, opts.pretty, writeStdoutBytes);
    writeStdoutBytes(NL);
    return 0;
  } catch (e) {
    out?.discard();
    throw e;
  }
}

/** Streams one image's JSON text and its newline into `out` and names it; on failure removes it. */
function writeJsonFile(out: OutFile, bytes: Uint8Array, path: string, pretty: boolean): number {
  try {
    writeImageJsonText(bytes, path, pretty, (text) => out.write(text));
    out.write(NL);
    out.commit();
  } catch (e) {
    out.discard();
    throw e;
  }
  out.close();
  return 0;
}

/** `-o DIR` of `decode -D`, made with its parents if missing. */
function makeFolder(path: string): void {
  try {
    Deno.mkdirSync(path, { recursive: true });
  } catch (e) {
    throw new OutputError(`-o ${path}: cannot make the folder: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/**
 * Every image of a directory or archive that crit could decode: raw page images, images
 * without a decoder and other files are skipped (logged at -v3). With -o DIR, IMAGE.json files
 * like the corpus's decoded/ folder; otherwise one JSON object keyed by name. `where` prefixes
 * names in errors. Images are read, checked and written one at a time.
 */
function decodeAll(
  names: string[],
  read: (name: string) => Uint8Array,
  where: string,
  opts: DecodeOptions,
): number {
  if (opts.output) makeFolder(opts.output);
  let written = 0;
  for (const name of names) {
    if (/^pages-\d+\.img$/.test(name)) {
      log.info(`${name}: raw memory pages, not decoded`);
      continue;
    }
    const path = where + name;
    let bytes: Uint8Array | undefined;
    try {
      bytes = read(name);
      if (!checkImageBytes(bytes, path)) bytes = undefined;
    } catch (e) {
      // Not an image at all (a log, a pid file): only named at -v3.
      if (!(e instanceof ImageError)) throw e;
      bytes = undefined;
    }
    if (bytes === undefined) {
      log.info(`${name}: not an image fdrestore decodes, skipped`);
      continue;
    }
    if (opts.output) {
      writeJsonFile(
        OutFile.create("-o", join(opts.output, `${name}.json`)),
        bytes,
        path,
        opts.pretty,
      );
    } else {
      writeStdoutBytes(encoder.encode(`${written ? ", " : "{"}${JSON.stringify(name)}: `));
      writeImageJsonText(bytes, path, opts.pretty, writeStdoutBytes);
    }
    written++;
  }
  if (!opts.output) writeStdoutBytes(encoder.encode(written ? "}\n" : "{}\n"));
  return 0;
}
