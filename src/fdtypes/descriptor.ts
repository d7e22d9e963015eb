/**
 * What fdrestore knows about one fd type outside the restore, in one record
 * (as criu's `file_desc_ops` holds its type tag and name): the file_entry field
 * of its payload, how `show` describes it and its `--inherit-fd` key. The
 * type's opener is in `src/files/`, so that `show` loads no restore code.
 */
import type { Checkpoint, FileOf, FileType, PAYLOAD_FIELD } from "../model/mod.ts";

/** What one file of the dump is, in words and fields (one fd of `show`). */
export interface FileDescription {
  /** A short class: file, dir, chr, blk, fifo, pipe, unix, tcp, udp, eventfd, ... */
  kind: string;
  /** One human line: a path, `pipe:[123] read end`, a socket address... */
  what: string;
  /** Open flags of the description, when the type records them. */
  flags?: number;
  /** File offset (u64 as a decimal string), for seekable types. */
  pos?: string;
  /** Access mode and status flag names, filled in by the report. */
  access?: string;
  flagNames?: string[];
  /** Type-specific facts for --json. */
  details: Record<string, string | number | boolean | string[]>;
}

export interface FdTypeDescriptor<T extends FileType> {
  /** FD_TYPE number. */
  readonly type: T;
  /**
   * file_entry's payload field. The model keeps the map of these fields
   * (PAYLOAD_FIELD, which types every payload); this must equal its entry,
   * or the descriptor does not compile.
   */
  readonly field: (typeof PAYLOAD_FIELD)[T];
  /** Every `kind` {@link describe} gives (for `show --kind`). */
  readonly kinds: readonly string[];
  /** `show`'s description of a file; without one, a generic line naming the type. */
  readonly describe?: (cp: Checkpoint, file: FileOf<T>, flags?: number) => FileDescription;
  /** The key criu compares `--inherit-fd fd[N]:KEY` with; a type without one is never inherited. */
  readonly inheritKey?: (cp: Checkpoint, file: FileOf<T>) => string | undefined;
}
