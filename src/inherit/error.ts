import { EXIT, FdrestoreError } from "../errors.ts";

/**
 * An `--inherit-fd` argument is malformed, or its descriptor cannot be used.
 * Messages keep criu's words where criu has them (`Invalid inherit fd argument: ARG`).
 */
export class InheritFdError extends FdrestoreError {
  /** The argument as given on the command line, when the error is about one. */
  readonly arg?: string;
  /** The descriptor number N of `fd[N]` / `debug[N]`. */
  readonly fd?: number;
  /** The key of `fd[N]:KEY`. */
  readonly key?: string;

  constructor(
    message: string,
    details: { arg?: string; fd?: number; key?: string } = {},
    options?: ErrorOptions,
  ) {
    super(message, EXIT.INHERIT, options);
    this.arg = details.arg;
    this.fd = details.fd;
    this.key = details.key;
  }
}
