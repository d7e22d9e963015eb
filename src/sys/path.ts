/**
 * POSIX path joining as node:path does it, for the few calls fdrestore makes:
 * importing any `node:` module starts Deno's Node layer, ~10 ms on every
 * command (`--version` included). No FFI here.
 *
 * @module
 */

/** Resolves `.`, `..` and repeated slashes; keeps a leading `/` and a trailing one. */
export function normalize(path: string): string {
  if (path === "") return ".";
  const absolute = path.startsWith("/");
  const trailing = path.endsWith("/");
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!absolute) out.push("..");
    } else out.push(part);
  }
  let s = out.join("/");
  if (s === "" && !absolute) s = ".";
  if (trailing && s !== "" && s !== ".") s += "/";
  else if (trailing && s === ".") s = "./";
  return absolute ? "/" + s : s;
}

/** node:path `join`. */
export function join(...parts: string[]): string {
  const joined = parts.filter((p) => p !== "").join("/");
  return joined === "" ? "." : normalize(joined);
}

/** node:path `resolve`: an absolute path, without a trailing slash. */
export function resolve(...parts: string[]): string {
  let path = "";
  for (let i = parts.length - 1; i >= 0 && !path.startsWith("/"); i--) {
    if (parts[i] !== "") path = path === "" ? parts[i] : `${parts[i]}/${path}`;
  }
  if (!path.startsWith("/")) path = path === "" ? Deno.cwd() : `${Deno.cwd()}/${path}`;
  const s = normalize(path);
  return s.length > 1 && s.endsWith("/") ? s.slice(0, -1) : s;
}

/** node:path `basename` (no suffix argument). */
export function basename(path: string): string {
  let end = path.length;
  while (end > 1 && path[end - 1] === "/") end--;
  const s = path.slice(0, end);
  if (s === "/") return "";
  return s.slice(s.lastIndexOf("/") + 1);
}

/** node:path `dirname`: up to the last slash that follows a name (only that one dropped). */
export function dirname(path: string): string {
  if (path === "") return ".";
  const hasRoot = path[0] === "/";
  let end = -1;
  let matchedSlash = true;
  for (let i = path.length - 1; i >= 1; i--) {
    if (path[i] === "/") {
      if (!matchedSlash) {
        end = i;
        break;
      }
    } else matchedSlash = false;
  }
  if (end === -1) return hasRoot ? "/" : ".";
  if (hasRoot && end === 1) return "//";
  return path.slice(0, end);
}

/** The path of a `file:` URL (node:url `fileURLToPath`). */
export function fileUrlToPath(url: string): string {
  const u = new URL(url);
  if (u.protocol !== "file:") throw new TypeError(`not a file URL: ${url}`);
  return decodeURIComponent(u.pathname);
}
