/**
 * `-D PATH`: a directory of images, or a container checkpoint archive (a
 * regular file). Every command opens its images here, so all of them take
 * both; a path that does not exist stays a directory (its missing
 * inventory.img is the error a user expects).
 */
import { directorySource, type ImageSource } from "../model/mod.ts";
import { type ArchiveOptions, type CheckpointArchive, openArchive } from "./archive_source.ts";

export interface OpenedImages {
  source: ImageSource;
  /** Set when PATH is an archive: its other members (config.dump...). */
  archive?: CheckpointArchive;
  close(): void;
}

export function isArchivePath(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

export async function openImages(
  path: string,
  opts: ArchiveOptions = {},
): Promise<OpenedImages> {
  if (!isArchivePath(path)) return { source: directorySource(path), close() {} };
  const archive = await openArchive(path, opts);
  return { source: archive.source, archive, close: () => archive.close() };
}
