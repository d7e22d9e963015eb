/** The error every image reader throws for bad or unreadable input. */
import { EXIT, FdrestoreError } from "../errors.ts";

/** Where in which image a problem is; `entry` is -1 for the header. */
export interface ImageErrorInfo {
  /** The image file as the caller named it. */
  readonly image: string;
  readonly entry: number;
  readonly offset: number;
}

/** A missing, truncated, corrupt or unknown image. Exit code {@link EXIT.IMAGE}. */
export class ImageError extends FdrestoreError implements ImageErrorInfo {
  readonly image: string;
  readonly entry: number;
  readonly offset: number;

  constructor(message: string, info: ImageErrorInfo, options?: ErrorOptions) {
    super(message, EXIT.IMAGE, options);
    this.image = info.image;
    this.entry = info.entry;
    this.offset = info.offset;
  }
}

/** `0x48`, the way offsets appear in messages. */
export function hex(n: number): string {
  return "0x" + n.toString(16);
}
