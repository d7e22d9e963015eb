/**
 * The grammar of the hand-off options, kept strict on purpose:
 *
 * - `--listen-fds[=WHICH]`: WHICH is `FD[:NAME],...` — fd numbers of the
 *   dump, in the order they go to fds 3, 4, ... of the program, each with an
 *   optional LISTEN_FDNAMES name. A name follows sd_listen_fds(3)'s rule
 *   (1 to 255 printable ASCII characters, no colon); a comma ends it here.
 * - `--fds-env VAR`: VAR is a shell-style variable name.
 *
 * @module
 */

/** One socket chosen by `--listen-fds=FD[:NAME]`. */
export interface ListenChoice {
  readonly fd: number;
  readonly name?: string;
}

/** The sockets a `--listen-fds` value chooses, or a string saying what is wrong. */
export function parseListenFds(text: string): ListenChoice[] | string {
  const out: ListenChoice[] = [];
  for (const item of text.split(",")) {
    const colon = item.indexOf(":");
    const fdText = colon < 0 ? item : item.slice(0, colon);
    if (!/^[0-9]{1,7}$/.test(fdText)) return `'${item}' is not FD or FD:NAME`;
    const fd = Number(fdText);
    if (out.some((c) => c.fd === fd)) return `fd ${fd} is named twice`;
    if (colon < 0) {
      out.push({ fd });
      continue;
    }
    const name = item.slice(colon + 1);
    if (!isFdName(name)) {
      return `'${name}' is not a socket name (1 to 255 printable characters, no colon)`;
    }
    out.push({ fd, name });
  }
  return out;
}

/** sd_listen_fds(3)'s rule for LISTEN_FDNAMES entries. */
export function isFdName(name: string): boolean {
  return name.length >= 1 && name.length <= 255 && /^[\x20-\x39\x3b-\x7e]+$/.test(name);
}

/** A name an environment variable can have in a shell. */
export function isEnvName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}
