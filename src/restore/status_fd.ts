/**
 * `--status-fd N`, criu's readiness signal: criu writes one zero byte to N
 * and closes it once it is ready (its page server, lazy pages and service
 * use it; runc passes it). fdrestore writes it once the restored tasks run.
 * A reader that gets end of file without the byte knows the restore failed.
 *
 * @module
 */
import { close, write } from "../sys/mod.ts";
import type { Logger } from "../log.ts";

/** Writes the byte when `ready`, then closes `fd` either way. */
export function signalStatus(fd: number, ready: boolean, log: Logger): void {
  try {
    if (ready) write(fd, new Uint8Array(1));
  } catch (e) {
    // The tasks run: a supervisor that stopped listening does not undo that.
    log.warn(`--status-fd ${fd}: ${e instanceof Error ? e.message : e}`);
  }
  try {
    close(fd);
  } catch {
    // closed already
  }
}
