/** Container checkpoint archives (tar, tar.gz) as a source of CRIU images. */
export { archiveKind, type CheckpointArchive, openArchive } from "./archive_source.ts";
export { isArchivePath, type OpenedImages, openImages } from "./open.ts";
export { LIMITS } from "./tar_index.ts";
