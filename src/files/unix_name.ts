/**
 * Names of unix sockets as the image stores them: empty (unnamed), a NUL
 * followed by an abstract name, or a path that may be relative to
 * `name_dir`. The folder of a path name is resolved once inside the root and
 * held (src/sys/place.ts); bind, connect, chown, chmod and unlink then go
 * through it. Relative names are bound from inside their folder, so
 * getsockname() shows the same short name as before the dump.
 *
 * A socket file already at the name is replaced only when it is stale: a
 * connect to it is refused (ECONNREFUSED). A live socket is never removed
 * (EADDRINUSE, as bind says). Any file at the name of a socket deleted
 * before the dump is moved aside while the socket is bound, and back (see
 * unix_aside.ts). A dry run (`check`) binds no path at all: it
 * checks the name as a restore would, then binds the socket to a private
 * abstract name that its peers connect to instead.
 */
import {
  AF,
  bind,
  closePlace,
  closeQuietly,
  connect,
  encodeSockaddrUn,
  ERRNO,
  fchmodFd,
  fchownFd,
  fstat,
  inFolder,
  O,
  openAt,
  openPlace,
  type Place,
  procPathOf,
  S_IF,
  SOCK,
  socket,
  type Stat,
  statPlace,
  SysError,
  type UnixName,
  unlinkIfSame,
  unlinkPlace,
} from "../sys/mod.ts";
import type { OpenContext } from "./opener.ts";
import { moveAside, putBack } from "./unix_aside.ts";
import { RestoreError, why } from "../restore_error.ts";

/** The fields of unix_sk_entry that name a socket. */
export interface UnixSkName {
  ino: number;
  type?: number;
  name: Uint8Array;
  name_dir?: string;
  deleted?: boolean;
  file_perms?: { mode: number; uid: number; gid: number };
}

const decoder = new TextDecoder();

/** The socket's name as sockaddr_un wants it; undefined when unnamed. */
export function unixName(sk: UnixSkName): UnixName | undefined {
  const n = sk.name;
  if (n.length === 0) return undefined;
  if (n[0] === 0) return { abstract: n.subarray(1) };
  const end = n.indexOf(0);
  return { path: decoder.decode(end < 0 ? n : n.subarray(0, end)) };
}

/** How a name reads in messages: `@abstract` or the path. */
export function describeName(sk: UnixSkName): string {
  const name = unixName(sk);
  if (!name) return "(unnamed)";
  if ("abstract" in name) return "@" + decoder.decode(name.abstract as Uint8Array);
  return "path" in name ? name.path : "(unnamed)";
}

/** The held folder of a path name, and how bind spells the name (see {@link bindPath}). */
function placeOf(ctx: OpenContext, sk: UnixSkName, path: string): Place {
  // A relative name lives in name_dir (criu's cwd of the binder), inside the root too.
  const full = path.startsWith("/") ? path : `${sk.name_dir ?? "/"}/${path}`;
  try {
    return openPlace(ctx.root, full);
  } catch (e) {
    throw new RestoreError(`Can't resolve the folder of socket name ${path}: ${why(e)}`, {}, {
      cause: e,
    });
  }
}

/**
 * Binds to the name in its held folder. A relative name is bound from inside
 * the folder (the address stays the short name). An absolute one keeps its
 * address when the root is "/"; under --root it is bound through
 * /proc/self/fd/DIR/NAME, so a folder swapped since the lookup changes nothing.
 */
function bindPath(ctx: OpenContext, fd: number, place: Place, path: string): void {
  if (!path.startsWith("/")) {
    inFolder(place.dir, () => bind(fd, encodeSockaddrUn({ path: place.name })));
  } else if (/^\/+$/.test(ctx.root)) bind(fd, encodeSockaddrUn({ path }));
  else bind(fd, encodeSockaddrUn({ path: procPathOf(place) }));
}

/** The private abstract name a dry run binds in place of a path. */
function dryRunName(sk: UnixSkName): UnixName {
  return { abstract: `fdrestore-check-${Deno.pid}-${sk.ino}` };
}

/**
 * Binds `fd` to the name of `sk`, replacing only a stale socket file there.
 * Restores the file's owner and mode from `file_perms` through a descriptor
 * of what was bound, and removes the name again if the restore fails.
 */
export function bindName(ctx: OpenContext, fd: number, sk: UnixSkName): void {
  const name = unixName(sk);
  if (!name) return;
  if (!("path" in name)) return void bind(fd, encodeSockaddrUn(name));
  const place = placeOf(ctx, sk, name.path);
  let held = true;
  try {
    clearStale(ctx, place, sk);
    if (ctx.dryRun) return void bind(fd, encodeSockaddrUn(dryRunName(sk)));
    bindPath(ctx, fd, place, name.path);
    let was: Stat;
    try {
      was = setPerms(ctx, place, sk);
    } catch (e) {
      removeBound(place);
      throw e;
    }
    // A restore that fails leaves no socket file behind (one retry for a passing failure).
    let started = false;
    ctx.afterStart(() => void (started = true));
    ctx.onCleanup(() => {
      try {
        if (!started) {
          try {
            unlinkIfSame(place, was);
          } catch {
            unlinkIfSame(place, was);
          }
        }
      } finally {
        closePlace(place);
      }
    });
    held = false;
  } finally {
    if (held) closePlace(place);
  }
}

/**
 * Owner and mode from `file_perms`, set through a descriptor of the socket
 * file just bound (anything else there is refused); returns its stat.
 */
function setPerms(ctx: OpenContext, place: Place, sk: UnixSkName): Stat {
  const bound = boundFile(place);
  try {
    const st = fstat(bound);
    if (sk.file_perms) {
      fchownFd(bound, sk.file_perms.uid, sk.file_perms.gid);
      // After chown, which clears set-id bits; an untrusted image gets none.
      fchmodFd(bound, sk.file_perms.mode & (ctx.untrusted ? 0o777 : 0o7777));
    }
    return st;
  } finally {
    closeQuietly(bound);
  }
}

/** After a failure right after bind: the socket file there goes (best effort). */
function removeBound(place: Place): void {
  try {
    const now = statPlace(place);
    if (now && (now.mode & S_IF.MT) === S_IF.SOCK) unlinkPlace(place);
  } catch {
    // the failure's own error says more
  }
}

/** An O_PATH descriptor of the socket file just bound; anything else there is refused. */
function boundFile(place: Place): number {
  const fd = openAt(place, O.PATH | O.NOFOLLOW | O.CLOEXEC);
  if ((fstat(fd).mode & S_IF.MT) !== S_IF.SOCK) {
    closeQuietly(fd);
    throw new RestoreError(`Socket name ${place.path} was replaced while it was bound`);
  }
  return fd;
}

/**
 * A socket file at the name: refused when something listens on it, removed
 * when stale (not in a dry run, and never for an untrusted image).
 */
function clearStale(ctx: OpenContext, place: Place, sk: UnixSkName): void {
  const st = statPlace(place);
  if (!st) return;
  if (sk.deleted) {
    // The name was deleted before the dump and another file (or socket,
    // possibly one this run bound) took it since: it steps aside, then back.
    if (!ctx.dryRun) moveAside(ctx, place, st);
    return;
  }
  if ((st.mode & S_IF.MT) !== S_IF.SOCK) {
    throw new RestoreError(
      `Can't bind ${place.path}: a file that is not a socket is there (EADDRINUSE)`,
    );
  }
  if (isLive(place, sk)) {
    throw new RestoreError(
      `Socket name ${place.path} is in use: something listens on it (EADDRINUSE); ` +
        `fdrestore never removes a live socket`,
    );
  }
  if (ctx.dryRun) return void ctx.log.info(`unix: ${place.path} is stale; a restore replaces it`);
  if (ctx.untrusted) {
    throw new RestoreError(
      `Socket name ${place.path} is taken by a stale socket file; --untrusted removes nothing`,
    );
  }
  ctx.log.debug(`unix: removing stale socket file ${place.path}`);
  unlinkIfSame(place, st);
}

/** True when a connect to the socket file gets through (or waits in a full backlog). */
function isLive(place: Place, sk: UnixSkName): boolean {
  const types = new Set([sk.type ?? SOCK.STREAM, SOCK.STREAM, SOCK.DGRAM, SOCK.SEQPACKET]);
  for (const type of types) {
    const probe = socket(AF.UNIX, type | SOCK.CLOEXEC | SOCK.NONBLOCK);
    try {
      inFolder(place.dir, () => connect(probe, encodeSockaddrUn({ path: place.name })));
      return true;
    } catch (e) {
      if (!(e instanceof SysError)) throw e;
      if (e.errno === ERRNO.EAGAIN) return true;
      if (e.errno !== ERRNO.ECONNREFUSED && e.errno !== ERRNO.EPROTOTYPE) return false;
    } finally {
      closeQuietly(probe);
    }
  }
  return false;
}

/** Connects `fd` to the name of the bound socket `peer`, through the name's held folder. */
export function connectToName(ctx: OpenContext, fd: number, peer: UnixSkName): void {
  const name = unixName(peer)!;
  if (!("path" in name)) return void connect(fd, encodeSockaddrUn(name));
  if (ctx.dryRun) return void connect(fd, encodeSockaddrUn(dryRunName(peer)));
  const place = placeOf(ctx, peer, name.path);
  try {
    inFolder(place.dir, () => connect(fd, encodeSockaddrUn({ path: place.name })));
  } finally {
    closePlace(place);
  }
}

/** Removes the name of a socket that was deleted before the dump (bound by this run). */
export function unlinkName(ctx: OpenContext, sk: UnixSkName): void {
  const name = unixName(sk);
  if (ctx.dryRun || !name || !("path" in name)) return;
  const place = placeOf(ctx, sk, name.path);
  try {
    const st = statPlace(place);
    if (st && (st.mode & S_IF.MT) === S_IF.SOCK) unlinkPlace(place);
    putBack(ctx, place.path);
  } finally {
    closePlace(place);
  }
}
