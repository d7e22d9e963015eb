/** `fdrestore decode`: crit-compatible JSON of one image, or of every image of a directory. */
import { join } from "../sys/path.ts";
import { decodeImageToJsonText, imageBytesToJsonText, ImageError } from "../image/mod.ts";
import { decodeImageBytes, readImageBytes } from "../image/image_file.ts";
import { isArchivePath, openArchive } from "../archive/mod.ts";
import { log } from "./log.ts";
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
  const input = opts.input ?? "/dev/stdin";
  // The output is made first (a bad -o fails before any decoding) and named last.
  const out = opts.output === undefined ? undefined : OutFile.create("-o", opts.output);
  try {
    // The whole text is made before anything is written: a bad image prints no partial JSON.
    const text = decodeImageToJsonText(input, opts.pretty);
    if (out) return writeJsonFile(out, text);
    writeStdoutBytes(text);
    writeStdoutBytes(NL);
    return 0;
  } catch (e) {
    out?.discard();
    throw e;
  }
}

/** Writes one JSON text and its newline into `out` and names it; on failure removes it. */
function writeJsonFile(out: OutFile, text: Uint8Array): number {
  try {
    out.write(text);
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
 * names in errors.
 */
function decodeAll(
  names: string[],
  read: (name: string) => Uint8Array,
  where: string,
  opts: DecodeOptions,
): number {
  const texts: [string, Uint8Array][] = [];
  for (const name of names) {
    if (/^pages-\d+\.img$/.test(name)) {
      log.info(`${name}: raw memory pages, not decoded`);
      continue;
    }
    const path = where + name;
    const bytes = read(name);
    let decoded = false;
    try {
      decoded = decodeImageBytes(bytes, path).decoded;
    } catch (e) {
      // Not an image at all (a log, a pid file): only named at -v3.
      if (!(e instanceof ImageError)) throw e;
    }
    if (!decoded) {
      log.info(`${name}: not an image fdrestore decodes, skipped`);
      continue;
    }
    texts.push([name, imageBytesToJsonText(bytes, path, opts.pretty)]);
  }
  if (opts.output) {
    makeFolder(opts.output);
    for (const [name, text] of texts) {
      writeJsonFile(OutFile.create("-o", join(opts.output, `${name}.json`)), text);
    }
    return 0;
  }
  writeStdoutBytes(encoder.encode("{"));
  texts.forEach(([name, text], i) => {
    writeStdoutBytes(encoder.encode(`${i ? ", " : ""}${JSON.stringify(name)}: `));
    writeStdoutBytes(text);
  });
  writeStdoutBytes(encoder.encode("}\n"));
  return 0;
}
