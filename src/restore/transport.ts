/**
 * Messages between fdrestore and its helpers over a unix stream socket: a
 * u32 length and a JSON object, followed (when the object says `fdCount`) by
 * that many descriptors in SCM_RIGHTS. Blocking: a helper has nothing else to
 * do, and the main process waits for its helpers anyway.
 */
import {
  getrlimit,
  read,
  recvFds,
  RLIMIT_NOFILE,
  sendFds,
  setrlimit,
  writeAll,
} from "../sys/mod.ts";
import { RestoreError } from "../restore_error.ts";

export interface Message {
  fdCount?: number;
  [key: string]: unknown;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** A plan for a huge tree is still far below this. */
const MAX_MESSAGE = 64 << 20;

/** The bytes of a message without fds (also what a helper writes when its exec fails). */
export function frameMessage(msg: Message): Uint8Array {
  const body = encoder.encode(JSON.stringify(msg));
  const frame = new Uint8Array(4 + body.length);
  new DataView(frame.buffer).setUint32(0, body.length, true);
  frame.set(body, 4);
  return frame;
}

export function sendMessage(sock: number, msg: Message, fds: readonly number[] = []): void {
  // A helper started before the sender raised its RLIMIT_NOFILE takes it on to fit the fds.
  const nofile = fds.length > 0 ? getrlimit(RLIMIT_NOFILE) : undefined;
  const limit = nofile ? { nofile: [String(nofile.cur), String(nofile.max)] } : {};
  writeAll(sock, frameMessage({ ...msg, ...limit, fdCount: fds.length }));
  if (fds.length > 0) sendFds(sock, fds);
}

/** Reads exactly `n` bytes; undefined at a clean end of stream before the first. */
function readExactly(sock: number, n: number): Uint8Array | undefined {
  const buf = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const k = read(sock, buf.subarray(got));
    if (k === 0) {
      if (got === 0) return undefined;
      throw new RestoreError(`helper channel closed in the middle of a message`);
    }
    got += k;
  }
  return buf;
}

/** The next message and its fds (close-on-exec); undefined at end of stream. */
export function recvMessage(sock: number): { msg: Message; fds: number[] } | undefined {
  const head = readExactly(sock, 4);
  if (!head) return undefined;
  const len = new DataView(head.buffer).getUint32(0, true);
  if (len > MAX_MESSAGE) throw new RestoreError(`helper message of ${len} bytes is too large`);
  const msg = JSON.parse(decoder.decode(readExactly(sock, len) ?? new Uint8Array())) as Message;
  const fds: number[] = [];
  const want = msg.fdCount ?? 0;
  if (Array.isArray(msg.nofile)) raiseNofile(msg.nofile.map((v) => BigInt(v as string)));
  while (fds.length < want) {
    const got = recvFds(sock, want - fds.length, 1);
    if (!got || got.fds.length === 0) throw new RestoreError(`helper channel lost fds`);
    for (const fd of got.fds) fds.push(fd);
  }
  return { msg, fds };
}

/** Raises this process's RLIMIT_NOFILE to the sender's where it is lower (never lowers it). */
function raiseNofile([cur, max]: bigint[]): void {
  const now = getrlimit(RLIMIT_NOFILE);
  if (now.cur >= cur && now.max >= max) return;
  const hard = now.max > max ? now.max : max;
  setrlimit(RLIMIT_NOFILE, { cur: now.cur > cur ? now.cur : cur, max: hard });
}
