/** TCP and UDP sockets (INETSK): addresses, ports and state; never inherited. */
import type { InetSkEntry } from "../image/mod.ts";
import { FD_TYPE } from "../model/mod.ts";
import type { FdTypeDescriptor, FileDescription } from "./descriptor.ts";
import { TCP_STATE } from "./socket_words.ts";

export const inetSocketType: FdTypeDescriptor<typeof FD_TYPE.INETSK> = {
  type: FD_TYPE.INETSK,
  field: "isk",
  // besides `proto N` for an odd protocol
  kinds: ["tcp", "udp"],
  describe: (_cp, file, flags) => describeInet(file.payload, flags),
};

function ipAddress(family: number, words: number[] | undefined): string {
  const list = words ?? [];
  if (family === 2) {
    const w = list[0] ?? 0;
    return [w & 255, (w >>> 8) & 255, (w >>> 16) & 255, w >>> 24].join(".");
  }
  const bytes: number[] = [];
  for (const w of list) bytes.push(w & 255, (w >>> 8) & 255, (w >>> 16) & 255, w >>> 24);
  const groups: string[] = [];
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  }
  // RFC 5952: the longest run of two or more zero groups becomes "::".
  let best = -1, bestLen = 1;
  for (let i = 0; i < groups.length;) {
    let j = i;
    while (j < groups.length && groups[j] === "0") j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const text = best < 0
    ? groups.join(":")
    : `${groups.slice(0, best).join(":")}::${groups.slice(best + bestLen).join(":")}`;
  return `[${text}]`;
}

function describeInet(p: InetSkEntry, flags?: number): FileDescription {
  const family = p.family;
  const proto = p.proto === 17 ? "udp" : p.proto === 6 ? "tcp" : `proto ${p.proto}`;
  const state = TCP_STATE[p.state] ?? `state ${p.state}`;
  const src = `${ipAddress(family, p.src_addr)}:${p.src_port}`;
  const dst = `${ipAddress(family, p.dst_addr)}:${p.dst_port}`;
  let what = `${proto}${family === 10 ? "6" : ""} ${src}`;
  if (p.dst_port) what += ` -> ${dst}`;
  what += ` (${state})`;
  return {
    kind: proto,
    what,
    flags,
    details: { family: family === 10 ? "inet6" : "inet", state, src, dst },
  };
}
