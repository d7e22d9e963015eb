/**
 * Unix sockets (CRIU's sk-unix.c). Two sockets of the images that are each
 * other's peer come back as one socketpair made by whichever opens first;
 * the other end is handed to its file. Any other socket is made alone:
 * bound to its name, listening, connected to its peer once the peer is open.
 * Receive queues are sent again before flags, options and shutdown; a queue
 * that carries a file not open yet (an epoll watching this very socket)
 * follows in a post-open step, so the socket itself never waits for it.
 */
import { inherited, isInherited, keyOf } from "./inherited.ts";
import type { UnixSkEntry } from "../image/mod.ts";
import { FD_TYPE, type FileOf } from "../model/mod.ts";
import {
  AF,
  close,
  closeQuietly,
  disconnect,
  getFlags,
  getsockoptInt,
  listen,
  O,
  setFlags,
  SO,
  SOCK,
  socket,
  socketpair,
  SOL_SOCKET,
} from "../sys/mod.ts";
import { AGAIN, type FileOpener, type OpenContext, type OpenResult, stateSlot } from "./opener.ts";
import { restoreOwner, setStatusFlags } from "./params.ts";
import { RestoreError, why } from "../restore_error.ts";
import { restoreShutdown, restoreSocketOpts } from "./socket_opts.ts";
import { queueOf, queueRights, rightsFds, sendQueue } from "./socket_queue.ts";
import { bindName, connectToName, describeName, unixName, unlinkName } from "./unix_name.ts";

type UnixFile = FileOf<typeof FD_TYPE.UNIXSK>;

const TCP_ESTABLISHED = 1;
const TCP_LISTEN = 10;
/** uflags: the peer is outside the dumped tree; the peer is CRIU's service socket. */
const USK_EXTERN = 1;
const USK_SERVICE = 2;
const TYPE_NAMES: Record<number, string> = { 1: "stream", 2: "dgram", 5: "seqpacket" };

/** The unix socket files of the images by inode, indexed once per restore. */
const BY_INO = stateSlot((cp) => {
  const map = new Map<number, UnixFile>();
  for (const f of cp.files.values()) {
    if (f.type === FD_TYPE.UNIXSK) map.set(f.payload.ino, f);
  }
  return map;
});

function label(sk: UnixSkEntry): string {
  return `socket:[${sk.ino}]`;
}

/** Opens one unix socket file (see the module doc). */
export function openUnixSocket(ctx: OpenContext, file: UnixFile): OpenResult {
  const sk = file.payload;
  const given = inherited(ctx, file);
  if (given) return given.fd; // used as it is: no options, queue or owner
  if (sk.uflags & USK_SERVICE) {
    throw new RestoreError(`${label(sk)} is connected to criu's service socket: not supported`);
  }
  if (!TYPE_NAMES[sk.type]) {
    throw new RestoreError(`${label(sk)} has unknown socket type ${sk.type}`);
  }
  let peerFile: UnixFile | undefined;
  if (sk.peer) {
    peerFile = ctx.state(BY_INO).get(sk.peer);
    if (!peerFile) {
      if (sk.uflags & USK_EXTERN) {
        throw new RestoreError(
          "External socket found in image. Consider using the --ext-unix-sk option to " +
            `allow restoring it. (${label(sk)}, peer socket:[${sk.peer}]; pass the socket ` +
            `with --inherit-fd fd[N]:${keyOf(ctx, file)})`,
        );
      }
      throw new RestoreError(`${label(sk)}: peer socket:[${sk.peer}] is not in the images`);
    }
  }
  // Connected to itself (a datagram socket sending to its own name): criu
  // binds it, then connects it to that name like any other peer.
  if (peerFile === file) return openStandalone(ctx, file, sk, file, sk);
  if (peerFile) {
    const peer = peerFile.payload;
    if (peer.peer === sk.ino && peer.type === sk.type) {
      if (isInherited(ctx, peerFile)) {
        throw new RestoreError(
          `${label(sk)}: its peer ${label(peer)} is inherited; ` +
            `the other end of an inherited pair cannot be restored`,
        );
      }
      return openPair(ctx, file, sk, peerFile, peer);
    }
    return openStandalone(ctx, file, sk, peerFile, peer);
  }
  if (sk.type !== SOCK.DGRAM && sk.state === TCP_ESTABLISHED) return openOrphan(ctx, file, sk);
  return openStandalone(ctx, file, sk);
}

/**
 * A connected stream or seqpacket socket whose peer was closed: what is left
 * is its queue and the shutdown the peer's close caused. Like criu, one end
 * of a new socketpair, fed its queue by the other end, which is then closed.
 */
function openOrphan(ctx: OpenContext, file: UnixFile, sk: UnixSkEntry): OpenResult {
  if (sk.shutdown !== 3) {
    throw new RestoreError(
      `Wrong shutdown/peer state for ${label(sk)}: a connected ${TYPE_NAMES[sk.type]} socket ` +
        `without a peer in the images must be shut down both ways`,
    );
  }
  const packets = queueOf(ctx.cp, file);
  const [fd, other] = socketpair(AF.UNIX, sk.type | SOCK.CLOEXEC);
  let feeder: number | undefined = other;
  const fill = (target: number): boolean => {
    if (feeder !== undefined) {
      const rights = rightsFds(ctx, packets, new Map([[file.id, target]]));
      if (!rights) return false;
      sendQueue(feeder, packets, rights, label(sk));
      close(feeder); // the peer's close: the kernel shuts `target` both ways
      feeder = undefined;
    }
    finish(ctx, target, sk);
    return true;
  };
  try {
    if (!fill(fd)) {
      ctx.onCleanup(() => void (feeder !== undefined && closeQuietly(feeder)));
      ctx.afterOpen(file, () => fill(ctx.stagedFd(file)!));
    }
  } catch (e) {
    if (feeder !== undefined) closeQuietly(feeder);
    closeQuietly(fd);
    throw e;
  }
  return fd;
}

/**
 * Both ends of a pair at once: socketpair, names, then queues and each end's
 * params, later when a queue carries a file that is not open yet.
 */
function openPair(
  ctx: OpenContext,
  file: UnixFile,
  sk: UnixSkEntry,
  peerFile: UnixFile,
  peer: UnixSkEntry,
): OpenResult {
  const mine = queueOf(ctx.cp, file);
  const theirs = queueOf(ctx.cp, peerFile);
  const fill = (a: number, b: number): boolean => {
    const local = new Map([[file.id, a], [peerFile.id, b]]);
    const rights = rightsFds(ctx, [...mine, ...theirs], local);
    if (!rights) return false;
    sendQueue(b, mine, rights, label(sk));
    sendQueue(a, theirs, rights, label(peer));
    finish(ctx, a, sk);
    finish(ctx, b, peer);
    return true;
  };
  const [a, b] = socketpair(AF.UNIX, sk.type | SOCK.CLOEXEC);
  try {
    if (bindsName(sk)) bindName(ctx, a, sk);
    if (bindsName(peer)) bindName(ctx, b, peer);
    if (!fill(a, b)) {
      ctx.afterOpen(file, () => fill(ctx.stagedFd(file)!, ctx.stagedFd(peerFile)!));
    }
  } catch (e) {
    closeQuietly(a);
    closeQuietly(b);
    throw e;
  }
  ctx.provide(peerFile, b);
  return a;
}

/**
 * Whether the restore binds `sk` to its name. A connected stream or seqpacket
 * socket is left unbound, as criu does: an accepted connection reports the
 * listener's name, which only the listener can hold.
 */
function bindsName(sk: UnixSkEntry): boolean {
  return unixName(sk) !== undefined && (sk.type === SOCK.DGRAM || sk.state !== TCP_ESTABLISHED);
}

/**
 * A socket that is not half of a pair. A datagram socket with a queue gets
 * it from a throw-away sender: connected to its name when it has one (which
 * also marks it established, as on the dumped system), else through a
 * socketpair whose pairing is dissolved before the packets go in.
 */
function openStandalone(
  ctx: OpenContext,
  file: UnixFile,
  sk: UnixSkEntry,
  peerFile?: UnixFile,
  peer?: UnixSkEntry,
): OpenResult {
  if (peerFile && peerFile !== file && ctx.stagedFd(peerFile) === undefined) {
    return AGAIN; // not bound yet
  }
  if (peer && !unixName(peer)) {
    throw new RestoreError(`${label(sk)}: peer ${label(peer)} has no name to connect to`);
  }
  const packets = queueOf(ctx.cp, file);
  if (packets.length > 0 && sk.type !== SOCK.DGRAM) {
    throw new RestoreError(
      `${label(sk)} (${TYPE_NAMES[sk.type]}, not one end of a pair in the images) has ` +
        `${packets.length} queued packets: cannot be restored`,
    );
  }
  // A datagram socket connected elsewhere takes packets only from its peer,
  // so it connects after its queue is in: it waits for what the queue carries.
  // An unconnected one opens now and takes its queue once those files are open.
  const ready = rightsFds(ctx, packets, new Map([[file.id, -1]])) !== undefined;
  if (!ready && peer) return AGAIN;
  const named = bindsName(sk);
  let fd: number;
  let feeder: number | undefined;
  if (packets.length > 0 && !named) {
    [fd, feeder] = socketpair(AF.UNIX, sk.type | SOCK.CLOEXEC);
    disconnect(fd);
    getsockoptInt(feeder, SOL_SOCKET, SO.ERROR); // clears the ECONNRESET the disconnect left
  } else {
    fd = socket(AF.UNIX, sk.type | SOCK.CLOEXEC);
  }
  /** Sends the queue into `target` once every file it carries is open. */
  const fill = (target: number): boolean => {
    if (feeder === undefined) return true;
    const rights = rightsFds(ctx, packets, new Map([[file.id, target]]));
    if (!rights) return false;
    sendQueue(feeder, packets, rights, label(sk));
    close(feeder);
    feeder = undefined;
    return true;
  };
  try {
    if (named) bindName(ctx, fd, sk);
    if (sk.state === TCP_LISTEN) {
      ctx.log.debug(`unix: putting ${label(sk)} into listen state (backlog ${sk.backlog})`);
      listen(fd, sk.backlog);
    }
    if (packets.length > 0 && feeder === undefined) {
      feeder = socket(AF.UNIX, sk.type | SOCK.CLOEXEC);
      connectToName(ctx, feeder, sk);
    }
    const queued = fill(fd);
    if (peer && peerFile) {
      connectNonblocking(ctx, fd, peer, sk);
      // The last socket to connect to a deleted name removes it.
      if (
        peer.deleted && peerFile !== file &&
        connectors(ctx, peer).every((c) => c === file || ctx.stagedFd(c) !== undefined)
      ) {
        unlinkName(ctx, peer);
      }
    }
    // After its own connect: a socket connected to itself needs its name until then.
    if (sk.deleted && named && connectors(ctx, sk).every((c) => ctx.stagedFd(c) !== undefined)) {
      unlinkName(ctx, sk);
    }
    if (queued) {
      finish(ctx, fd, sk);
    } else {
      ctx.onCleanup(() => void (feeder !== undefined && closeQuietly(feeder)));
      ctx.afterOpen(file, () => {
        const staged = ctx.stagedFd(file)!;
        if (!fill(staged)) return false;
        finish(ctx, staged, sk);
        return true;
      });
    }
  } catch (e) {
    if (feeder !== undefined) closeQuietly(feeder);
    closeQuietly(fd);
    throw e;
  }
  return fd;
}

/** Sockets of the images connected to `sk` without being its pair. */
function connectors(ctx: OpenContext, sk: UnixSkEntry): UnixFile[] {
  const out: UnixFile[] = [];
  for (const f of ctx.cp.files.values()) {
    if (f.type !== FD_TYPE.UNIXSK || f.payload.peer !== sk.ino) continue;
    if (sk.peer && f.payload.ino === sk.peer) continue; // its pair
    out.push(f);
  }
  return out;
}

/** A full backlog would block a stream connect forever: fail instead. */
function connectNonblocking(
  ctx: OpenContext,
  fd: number,
  peer: UnixSkEntry,
  sk: UnixSkEntry,
): void {
  const flags = getFlags(fd);
  setFlags(fd, flags | O.NONBLOCK);
  try {
    connectToName(ctx, fd, peer);
  } catch (e) {
    throw new RestoreError(
      `${label(sk)}: cannot connect to ${label(peer)} at ${describeName(peer)}: ${why(e)}`,
      {},
      { cause: e },
    );
  } finally {
    setFlags(fd, flags);
  }
  ctx.log.debug(`unix: connected ${label(sk)} -> ${label(peer)}`);
}

/** File params, socket options, shutdown. */
function finish(ctx: OpenContext, fd: number, sk: UnixSkEntry): void {
  setStatusFlags(fd, sk.flags);
  restoreOwner(ctx, fd, sk.fown);
  restoreSocketOpts(ctx, fd, sk.opts, label(sk));
  restoreShutdown(fd, sk.shutdown);
}

export const unixSocketOpener: FileOpener<typeof FD_TYPE.UNIXSK> = {
  type: FD_TYPE.UNIXSK,
  open: openUnixSocket,
  carried: queueRights,
};
