/**
 * Receive queues of unix sockets (sk-queues.img): each saved packet is sent
 * again, in order, from a socket whose sends land in the receiving socket.
 * Packets with SCM_RIGHTS carry the descriptors of the files they name, so
 * the queue waits until those files are open.
 */
import { type Checkpoint, fileById, type FileDesc, type SocketPacket } from "../model/mod.ts";
import {
  ERRNO,
  getFlags,
  getsockoptInt,
  O,
  sendPacket,
  setFlags,
  SO,
  SOL_SOCKET,
  SysError,
} from "../sys/mod.ts";
import type { OpenContext } from "./opener.ts";
import { RestoreError } from "../restore_error.ts";
import { setBufferSize } from "./socket_bufs.ts";

/** The saved receive queue of `file` (empty when it had none). */
export function queueOf(cp: Checkpoint, file: FileDesc): SocketPacket[] {
  return cp.socketQueues.get(file.id) ?? [];
}

/** The files `file`'s queue passes with SCM_RIGHTS; unknown ids are the queue's error to tell. */
export function queueRights(cp: Checkpoint, file: FileDesc): FileDesc[] {
  const out: FileDesc[] = [];
  for (const packet of queueOf(cp, file)) {
    for (const id of packet.rights) {
      const passed = fileById(cp, id);
      if (passed) out.push(passed);
    }
  }
  return out;
}

/**
 * The descriptor of every file a queue passes with SCM_RIGHTS, or undefined
 * while one of them is not open yet. `local` holds descriptors this open made
 * itself (a socket may carry its own pair in its queue).
 */
export function rightsFds(
  ctx: OpenContext,
  packets: readonly SocketPacket[],
  local: ReadonlyMap<number, number>,
): Map<number, number> | undefined {
  const fds = new Map<number, number>();
  for (const p of packets) {
    for (const id of p.rights) {
      if (fds.has(id)) continue;
      const fd = local.get(id) ?? stagedById(ctx, id, p);
      if (fd === undefined) return undefined;
      fds.set(id, fd);
    }
  }
  return fds;
}

function stagedById(ctx: OpenContext, id: number, p: SocketPacket): number | undefined {
  const file = fileById(ctx.cp, id);
  if (!file) {
    throw new RestoreError(
      `queue of socket id 0x${p.idFor.toString(16)} passes file id 0x${id.toString(16)}, ` +
        `which is not in files.img`,
      { fileId: p.idFor },
    );
  }
  return ctx.stagedFd(file);
}

/**
 * Sends `packets` from `sender` (connected to the receiving socket). The
 * sender is made non-blocking meanwhile, so a queue that does not fit fails
 * instead of hanging; its send buffer grows first for big stream queues
 * (beyond net.core.wmem_max only with CAP_NET_ADMIN).
 */
export function sendQueue(
  sender: number,
  packets: readonly SocketPacket[],
  rights: ReadonlyMap<number, number>,
  what: string,
): void {
  if (packets.length === 0) return;
  const total = packets.reduce((n, p) => n + p.data.byteLength, 0);
  const need = 2 * total + 1024 * packets.length;
  const capped = need > getsockoptInt(sender, SOL_SOCKET, SO.SNDBUF)
    ? setBufferSize(sender, "send", need)
    : undefined;
  const flags = getFlags(sender);
  setFlags(sender, flags | O.NONBLOCK);
  try {
    for (const p of packets) {
      const fds = p.rights.map((id) => rights.get(id)!);
      let sent = sendPacket(sender, p.data, fds);
      // A stream socket may take the bytes in parts; the fds went with the first.
      while (sent < p.data.byteLength) sent += sendPacket(sender, p.data.subarray(sent));
    }
  } catch (e) {
    if (e instanceof SysError && e.errno === ERRNO.EAGAIN) {
      const why = capped === undefined ? "" : `: a send buffer of ${2 * need} bytes needs ` +
        `CAP_NET_ADMIN (SO_SNDBUFFORCE), net.core.wmem_max allows ${capped}`;
      throw new RestoreError(
        `receive queue of ${what} (${packets.length} packets, ${total} bytes) does not fit ` +
          `into the restored socket${why}`,
        {},
        { cause: e },
      );
    }
    throw e;
  } finally {
    setFlags(sender, flags);
  }
}
