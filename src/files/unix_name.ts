/**
 * Names of unix sockets as the image stores them: empty (unnamed), a NUL
 * followed by an abstract name, or a path that may be relative to
 * `name_dir`. Relative names are bound and connected from inside that
 * folder, so getsockname() shows the same short name as before the dump and
 * names longer than sun_path still work.
 */
import { bind, connect, encodeSockaddrUn, type UnixName } from "../sys/mod.ts";
import type { OpenContext } from "./opener.ts";

/** The fields of unix_sk_entry that name a socket. */
export interface UnixSkName {
  ino: number;
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

/** Where a path name lives on this machine, and the folder to work from. */
function placeOf(ctx: OpenContext, sk: UnixSkName, path: string): { dir?: string; path: string } {
  if (path.startsWith("/")) return { path: ctx.resolve(path) };
  // Folders of a relative name are resolved inside the root too; only the last
  // component is left for bind/connect.
  const cut = path.lastIndexOf("/");
  const folder = (sk.name_dir ?? "/") + (cut < 0 ? "" : "/" + path.slice(0, cut));
  return { dir: ctx.resolve(folder), path: path.slice(cut + 1) };
}

/** Runs `fn` with the working directory at `dir` (when given), then goes back. */
function inDir<T>(dir: string | undefined, fn: () => T): T {
  if (dir === undefined) return fn();
  const back = Deno.cwd();
  Deno.chdir(dir);
  try {
    return fn();
  } finally {
    Deno.chdir(back);
  }
}

/** The absolute path of a path name, for unlink/chmod. */
export function absolutePath(ctx: OpenContext, sk: UnixSkName): string | undefined {
  const name = unixName(sk);
  if (!name || !("path" in name)) return undefined;
  const at = placeOf(ctx, sk, name.path);
  return at.dir === undefined ? at.path : `${at.dir}/${at.path}`;
}

/**
 * Binds `fd` to the name of `sk`. A socket file left at the path by an
 * earlier run is removed first (the dumped socket is gone; criu binds anew).
 * Restores the file's mode and owner from `file_perms`.
 */
export function bindName(ctx: OpenContext, fd: number, sk: UnixSkName): void {
  const name = unixName(sk);
  if (!name) return;
  if (!("path" in name)) return void bind(fd, encodeSockaddrUn(name));
  const at = placeOf(ctx, sk, name.path);
  const abs = absolutePath(ctx, sk)!;
  removeStaleSocket(ctx, abs);
  inDir(at.dir, () => bind(fd, encodeSockaddrUn({ path: at.path })));
  // A restore that fails (or a check) leaves no socket file behind.
  let started = false;
  ctx.afterStart(() => void (started = true));
  ctx.onCleanup(() => {
    if (!started) Deno.removeSync(abs);
  });
  if (sk.file_perms) {
    Deno.chmodSync(abs, sk.file_perms.mode & 0o7777);
    Deno.chownSync(abs, sk.file_perms.uid, sk.file_perms.gid);
  }
}

/** Connects `fd` to the name of the bound socket `peer`. */
export function connectToName(ctx: OpenContext, fd: number, peer: UnixSkName): void {
  const name = unixName(peer)!;
  if (!("path" in name)) return void connect(fd, encodeSockaddrUn(name));
  const at = placeOf(ctx, peer, name.path);
  inDir(at.dir, () => connect(fd, encodeSockaddrUn({ path: at.path })));
}

function removeStaleSocket(ctx: OpenContext, path: string): void {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(path);
  } catch {
    return; // nothing there
  }
  if (!info.isSocket) return; // bind reports EADDRINUSE with the path
  ctx.log.debug(`unix: removing stale socket file ${path}`);
  Deno.removeSync(path);
}

/** Removes the file of a name that was deleted before the dump. */
export function unlinkName(ctx: OpenContext, sk: UnixSkName): void {
  const abs = absolutePath(ctx, sk);
  if (abs !== undefined) Deno.removeSync(abs);
}
