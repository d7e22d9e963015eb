/**
 * epoll (CRIU's eventpoll.c): waits until every target is open, then makes
 * the epoll and registers each target with its events and data.
 *
 * The kernel keys a registration by (file, fd number) and shows that number
 * as `tfd:` in fdinfo, so each target must be added under its *final* number
 * in the task, not under the staged number we hold it at. Those numbers are
 * low and may be the Deno runtime's own: {@link atFdNumber} lends the number
 * to the target for the one epoll_ctl call and gives it back (see the risk it
 * documents).
 */
import { atFdNumber, close, dupAbove, EPOLL, epollCreate1, epollCtl } from "../sys/mod.ts";
import type { EventpollFileEntry } from "../image/mod.ts";
import { FD_TYPE, type FileDesc, type FileOf } from "../model/mod.ts";
import { AGAIN, type FileOpener, type OpenContext, type OpenResult } from "./opener.ts";
import { withFileParams } from "./params.ts";
import { RestoreError } from "../restore_error.ts";

/** One eventpoll_tfd_entry. */
export interface EpollTarget {
  tfd: number;
  events: number;
  data: bigint;
}

export function epollTargets(p: Pick<EventpollFileEntry, "tfd">): EpollTarget[] {
  return (p.tfd ?? []).map((t) => ({ tfd: t.tfd, events: t.events, data: t.data }));
}

/**
 * The staged descriptor behind each target, or AGAIN while one is not open.
 * A target that is itself an epoll is open only once it is registered too,
 * which is all CRIU asks of it.
 */
function targetFds(ctx: OpenContext, file: FileDesc, targets: EpollTarget[]) {
  const fds: number[] = [];
  for (const t of targets) {
    const entry = ctx.fdEntry(ctx.task, t.tfd);
    if (!entry) {
      throw new RestoreError(
        `epoll id 0x${file.id.toString(16)} watches fd ${t.tfd}, ` +
          `which task ${ctx.task.pid} does not have`,
        { pid: ctx.task.pid, fileId: file.id },
      );
    }
    const fd = ctx.stagedFd(entry.file);
    if (fd === undefined) return AGAIN;
    fds.push(fd);
  }
  return fds;
}

/** Adds `targets` (held at `fds`) to `epfd`, each under its own fd number. */
export function registerTargets(epfd: number, targets: EpollTarget[], fds: number[]): void {
  const scratch = Math.max(epfd, ...fds, ...targets.map((t) => t.tfd)) + 1;
  targets.forEach((t, i) => {
    atFdNumber(fds[i], t.tfd, (n) => epollCtl(epfd, EPOLL.CTL_ADD, n, t.events, t.data), scratch);
  });
}

/** A new epoll above every target number (so that lending a number never hits it). */
export function createEpollAbove(maxTfd: number): number {
  const raw = epollCreate1(0);
  if (raw > maxTfd) return raw;
  try {
    return dupAbove(raw, maxTfd + 1);
  } finally {
    close(raw);
  }
}

export const epollOpener: FileOpener<typeof FD_TYPE.EVENTPOLL> = {
  type: FD_TYPE.EVENTPOLL,
  open(ctx: OpenContext, file: FileOf<typeof FD_TYPE.EVENTPOLL>): OpenResult {
    const p = file.payload;
    const targets = epollTargets(p);
    const fds = targetFds(ctx, file, targets);
    if (fds === AGAIN) return AGAIN;
    const epfd = createEpollAbove(Math.max(-1, ...targets.map((t) => t.tfd)));
    withFileParams(ctx, epfd, p.flags, p.fown);
    try {
      registerTargets(epfd, targets, fds);
    } catch (e) {
      close(epfd);
      throw e;
    }
    for (const t of targets) {
      ctx.log.debug(
        `Restore eventpoll-tfd: id 0x${file.id.toString(16)} tfd ${t.tfd} ` +
          `events 0x${t.events.toString(16)} data 0x${t.data.toString(16)}`,
      );
    }
    return epfd;
  },
};
