/** The release of fdrestore; the build stamps COMMIT into bundles. */
export const VERSION = "0.1.0";
/** The source commit, replaced by scripts/bundle.ts; "dev" when run from source. */
export const COMMIT: string = "dev";
