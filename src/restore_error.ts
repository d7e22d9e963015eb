/** The error of a restore step, naming the task, fd and file it concerns. */
import { EXIT, FdrestoreError } from "./errors.ts";

export interface RestoreErrorInfo {
  pid?: number;
  fd?: number;
  fileId?: number;
}

export class RestoreError extends FdrestoreError {
  readonly pid?: number;
  readonly fd?: number;
  readonly fileId?: number;

  constructor(message: string, info: RestoreErrorInfo = {}, options?: ErrorOptions) {
    super(message, EXIT.FAILURE, options);
    this.pid = info.pid;
    this.fd = info.fd;
    this.fileId = info.fileId;
  }
}

/** The text of a caught error, for the "because" part of a message. */
export function why(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A file id as criu prints it (`%#x`). */
export function hex(n: number): string {
  return "0x" + n.toString(16);
}
