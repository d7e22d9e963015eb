/**
 * `crit decode` output as bytes, fast: entries are transcoded straight from
 * the protobuf wire into JSON text, without decoded objects or JS strings.
 *
 * The fast path only takes what protobuf-c writes (fields in number order,
 * each repeated field in one run, every required field present, values well
 * formed). An entry with something else is rendered by the reference path
 * (crit_json.ts + json_render.ts), which also produces the errors; so are the
 * images whose entries carry raw bytes or change message midway, one entry at
 * a time.
 */
import { devText, DICT_TABLES, FLAG_TABLES, flagsText, ipText } from "./crit_tables.ts";
import { entryPlans, entryToJson } from "./crit_json.ts";
import { checkFrames, decodeBody, decodeEntry, readHeader } from "./framing.ts";
import { imageKind } from "./image_table.ts";
import { undecodableError } from "./image_file.ts";
import { readImageBytes } from "./image_open.ts";
import { HOLD_BYTES, indentBytes, JsonSink, PLAIN } from "./json_sink.ts";
import { writeJsonValue } from "./json_render.ts";
import { base64Lines, quotedPrintable } from "./text_codecs.ts";
import { type FieldPlan, Kind, type MessagePlan } from "./wire_plan.ts";
import type { Decoded } from "./wire_decode.ts";
import { basename } from "../sys/path.ts";
import { infoOf, punctOf, type RenderInfo } from "./crit_text_layout.ts";

/** The JSON text (ASCII bytes, no trailing newline) crit prints for the image at `path`. */
export function decodeImageToJsonText(path: string, pretty: boolean): Uint8Array {
  return imageBytesToJsonText(readImageBytes(path), path, pretty);
}

/** Same as {@link decodeImageToJsonText}, from bytes already read. Throws ImageError. */
export function imageBytesToJsonText(
  bytes: Uint8Array,
  path: string,
  pretty: boolean,
): Uint8Array {
  const out = new JsonSink(Math.max(1 << 16, bytes.length * (pretty ? 12 : 5)));
  render(out, bytes, path, pretty);
  return out.bytes();
}

/**
 * The same text handed to `write` in pieces, so that memory is the image and
 * a bounded buffer whatever the text's size. Every error the framing or a
 * non-transcodable image can have is found before the first piece; the text
 * is held until it passes `hold` bytes, so only a huge output can stop halfway
 * (at a malformed entry), and then the error names that entry.
 */
export function writeImageJsonText(
  bytes: Uint8Array,
  path: string,
  pretty: boolean,
  write: (text: Uint8Array) => void,
  hold = HOLD_BYTES,
): void {
  const out = new JsonSink(Math.max(1 << 16, bytes.length * (pretty ? 12 : 5)), write, hold);
  render(out, bytes, path, pretty);
  out.end();
}

function render(out: JsonSink, bytes: Uint8Array, path: string, isPretty: boolean): void {
  const header = readHeader(bytes, path);
  const kind = imageKind(header.name);
  if (!kind) throw undecodableError(path, header.name, header.bodyStart);
  const plans = entryPlans(kind);
  const fast = kind.layout === "entries" && kind.extra === undefined;
  // Errors before text: the frames of a transcoded image, every entry of the others.
  if (fast) checkFrames(bytes, header.bodyStart, path);
  else decodeBody(bytes, header, kind, path, false, () => {});
  buf = bytes;
  sink = out;
  pretty = isPretty;
  run++;
  try {
    openText(header.name);
    const punct = punctOf(2, pretty);
    let n = 0;
    const each = (e: Decoded, i: number) => {
      sink.raw(i === 0 ? punct.first : punct.next);
      const obj = entryToJson(plans[i === 0 ? 0 : 1], e, kind.name, { pretty, bytesAsText: true });
      writeJsonValue(sink, obj, pretty, 2);
      n++;
      flush();
    };
    if (fast) n = entries(header.bodyStart, plans[0], path);
    else decodeBody(bytes, header, kind, path, false, each);
    closeText(n);
  } finally {
    buf = new Uint8Array(0); // the module keeps no image or text alive
    sink = new JsonSink(0);
  }
}

/** Thrown (and caught in entries()) when an entry needs the reference path. */
const NOT_FAST = new Error("not a canonical entry");

// Transcoder state: one image at a time, no awaits inside.
let buf: Uint8Array = new Uint8Array(0);
let pos = 0;
let hi = 0; // high word of the last 64-bit varint
let sink = new JsonSink(0);
let pretty = false;

const ENTRIES_PRETTY = new TextEncoder().encode('"entries": [');
const COMMA = new Uint8Array([0x2c]);
const COMMA_SPACE = new Uint8Array([0x2c, 0x20]);
const utf8 = new TextDecoder();

let run = 0; // which transcode the `last` of a RenderInfo belongs to

/** Submessages up to this size whose bytes repeat the previous one's copy its text. */
const REPEAT_MAX = 32;

/**
 * A submessage. Many repeat byte for byte (every fown of 100,000 files is
 * zeros): when its bytes equal the last one of the same info, the text
 * already written for that one is copied instead of made again.
 */
function subMessage(info: RenderInfo, stop: number, hex: boolean): void {
  const len = stop - pos;
  const last = info.last;
  if (
    last.run === run && last.len === len && last.hex === hex && len <= REPEAT_MAX &&
    sameBytes(last.src, pos, len)
  ) {
    sink.room(last.outLen);
    sink.buf.copyWithin(sink.len, last.out, last.out + last.outLen);
    sink.len += last.outLen;
    pos = stop;
    return;
  }
  const src = pos;
  const out = sink.len;
  message(info, stop, hex);
  if (len <= REPEAT_MAX) {
    last.run = run;
    last.src = src;
    last.len = len;
    last.hex = hex;
    last.out = out;
    last.outLen = sink.len - out;
  }
}

function sameBytes(a: number, b: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (buf[a + i] !== buf[b + i]) return false;
  return true;
}

/** `{"magic": NAME, "entries": [` */
function openText(name: string): void {
  sink.ascii("{");
  if (pretty) sink.raw(indentBytes(1));
  sink.ascii('"magic": ');
  sink.quoted(name);
  sink.raw(pretty ? COMMA : COMMA_SPACE);
  if (pretty) sink.raw(indentBytes(1));
  sink.raw(ENTRIES_PRETTY);
}

/** `]}` after n entries. */
function closeText(n: number): void {
  if (n === 0) sink.ascii("]");
  else sink.raw(punctOf(2, pretty).close);
  if (pretty) sink.raw(indentBytes(0));
  sink.ascii("}");
}

/** Between entries: hands text to the sink's drain; copies from before it are then gone. */
function flush(): void {
  const drains = sink.drains;
  sink.flush();
  if (sink.drains !== drains) run++;
}

/**
 * Transcodes the entries (frames already checked); an entry the fast path
 * does not take is decoded and rendered by the reference path in its place.
 * Returns the entry count.
 */
function entries(start: number, plan: MessagePlan, path: string): number {
  const len = buf.length;
  const punct = punctOf(2, pretty);
  const info = infoOf(plan, 2, pretty);
  const name = basename(path);
  let off = start;
  let n = 0;
  while (off < len) {
    const size = (buf[off] | buf[off + 1] << 8 | buf[off + 2] << 16 | buf[off + 3] << 24) >>> 0;
    const end = off + 4 + size;
    sink.raw(n === 0 ? punct.first : punct.next);
    const mark = sink.len;
    pos = off + 4;
    try {
      message(info, end, false);
    } catch (e) {
      if (e !== NOT_FAST) throw e;
      sink.len = mark;
      run++; // text remembered inside the dropped part is gone
      const entry = decodeEntry(plan, buf, off + 4, size, false, name, path, n, off);
      writeJsonValue(sink, entryToJson(plan, entry, "", { pretty }), pretty, 2);
    }
    off = end;
    n++;
    flush();
  }
  return n;
}

/** One message at its info's depth: its fields in number order, present ones only. */
function message(info: RenderInfo, end: number, inHex: boolean): void {
  const byId = info.plan.byId;
  const depth = info.depth;
  let last = -1; // position of the last field written
  let open = -1; // position of the repeated field whose list is open
  let items = 0;
  let ips: number[] | undefined; // pretty ipadd values, written as one address
  let written = 0;
  let required = 0;
  while (pos < end) {
    const tag = varint32(end);
    const id = tag >>> 3;
    const wt = tag & 7;
    const at = id < info.index.length ? info.index[id] : -1;
    if (at < 0) {
      if (id === 0) throw NOT_FAST;
      skip(wt, end);
      continue;
    }
    const f = byId[id] as FieldPlan;
    if (at !== last) {
      if (at < last) throw NOT_FAST; // out of number order, or a repeated field split
      if (open >= 0) closeList(ips, depth + 2);
      open = -1;
      sink.raw(written++ === 0 ? info.first[at] : info.next[at]);
      if (f.required) required++;
      if (f.repeated) {
        open = at;
        items = 0;
        ips = pretty && f.view.ipadd ? [] : undefined;
        if (ips === undefined) sink.ascii("[");
      }
      last = at;
    } else if (!f.repeated) throw NOT_FAST; // a second value: last one wins, or a merge
    const hex = inHex || f.view.hex;
    if (!f.repeated) {
      if (wt !== f.wireType) throw NOT_FAST;
      if (f.kind === Kind.MESSAGE) {
        const sub = info.sub[at] ??= infoOf(f.message as MessagePlan, depth + 1, pretty);
        subMessage(sub, lengthEnd(end), hex);
      } else value(f, end, hex);
    } else if (wt === f.wireType) {
      item(f, end, hex, info, at, items++, ips);
    } else if (wt === 2 && f.wireType !== 2) {
      const stop = lengthEnd(end);
      if (stop === pos) throw NOT_FAST; // an empty packed run: crit prints no key
      while (pos < stop) item(f, stop, hex, info, at, items++, ips);
      if (pos !== stop) throw NOT_FAST;
    } else throw NOT_FAST;
  }
  if (pos !== end || required !== info.required) throw NOT_FAST;
  if (open >= 0) closeList(ips, depth + 2);
  if (written === 0) sink.ascii("{}");
  else sink.raw(info.close);
}

function item(
  f: FieldPlan,
  end: number,
  hex: boolean,
  info: RenderInfo,
  at: number,
  n: number,
  ips: number[] | undefined,
): void {
  if (ips !== undefined) {
    ips.push(f.kind === Kind.FIXED32 ? fixed32(end) : varint32(end) >>> 0);
    return;
  }
  const punct = punctOf(info.depth + 2, pretty);
  sink.raw(n === 0 ? punct.first : punct.next);
  if (f.kind === Kind.MESSAGE) {
    const sub = info.sub[at] ??= infoOf(f.message as MessagePlan, info.depth + 2, pretty);
    subMessage(sub, lengthEnd(end), hex);
  } else value(f, end, hex);
}

/** Ends the list whose items are at `depth` (pretty ipadd values become one address). */
function closeList(ips: number[] | undefined, depth: number): void {
  const punct = punctOf(depth, pretty);
  if (ips !== undefined) {
    sink.ascii("[");
    sink.raw(punct.first);
    sink.quoted(ipText(ips));
  }
  sink.raw(punct.close);
}

/** One value of field f, not a message. */
function value(f: FieldPlan, end: number, hex: boolean): void {
  switch (f.kind) {
    case Kind.UINT32: {
      const n = varint32(end) >>> 0;
      return pretty ? integer(f, n, hex) : sink.uint(n);
    }
    case Kind.INT32:
      return integer(f, varint32(end) | 0, hex);
    case Kind.SINT32: {
      const n = varint32(end);
      return integer(f, (n >>> 1) ^ -(n & 1), hex);
    }
    case Kind.ENUM: {
      const n = varint32(end) | 0;
      const name = f.enumNames?.[n];
      return name === undefined ? sink.int(n) : sink.quoted(name);
    }
    case Kind.BOOL:
      return sink.ascii(varint32(end) !== 0 ? "true" : "false");
    case Kind.UINT64: {
      const lo = varint64(end);
      if (hi === 0 && !pretty) return sink.uint(lo);
      return integer(f, hi === 0 ? lo : hi < 0x200000 ? hi * 2 ** 32 + lo : big(lo), hex);
    }
    case Kind.INT64: {
      const lo = varint64(end);
      return integer(f, hi < 0x200000 ? hi * 2 ** 32 + lo : BigInt.asIntN(64, big(lo)), hex);
    }
    case Kind.SINT64: {
      const n = big(varint64(end));
      return integer(f, (n >> 1n) ^ -(n & 1n), hex);
    }
    case Kind.FIXED32:
      return integer(f, fixed32(end), hex);
    case Kind.STRING:
      return string(lengthEnd(end));
    case Kind.BYTES: {
      const stop = lengthEnd(end);
      const b = buf.subarray(pos, stop);
      pos = stop;
      return sink.quoted(f.view.conv === "unix_name" ? quotedPrintable(b) : base64Lines(b));
    }
    default: // sfixed32, (s)fixed64, float, double: none in our schema
      throw NOT_FAST;
  }
}

function big(lo: number): bigint {
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** An integer as crit prints it: plain, or in pretty mode hex, device, flags or a word. */
function integer(f: FieldPlan, n: number | bigint, hex: boolean): void {
  if (!pretty) {
    return typeof n === "number" && Number.isSafeInteger(n) ? sink.int(n) : sink.ascii(String(n));
  }
  const view = f.view;
  if (hex) return sink.quoted(n < 0 ? "-0x" + (-n).toString(16) : "0x" + n.toString(16));
  if (view.dev) return sink.quoted(devText(Number(n), view.odev));
  if (view.flags !== undefined) {
    const table = FLAG_TABLES[view.flags];
    return sink.quoted(table ? flagsText(Number(n), table) : "0x" + n.toString(16));
  }
  if (view.dict !== undefined) {
    const word = DICT_TABLES[view.dict]?.[f.name]?.[Number(n)];
    if (word !== undefined) return sink.quoted(word);
  }
  return typeof n === "number" && Number.isSafeInteger(n) ? sink.int(n) : sink.ascii(String(n));
}

/** A string field: printable ASCII is copied; anything else goes through UTF-8 decoding. */
function string(stop: number): void {
  let i = pos;
  while (i < stop && buf[i] < 128 && PLAIN[buf[i]] === 1) i++;
  if (i === stop) {
    sink.room(stop - pos + 2);
    const out = sink.buf;
    let len = sink.len;
    out[len++] = 0x22;
    for (let j = pos; j < stop; j++) out[len++] = buf[j];
    out[len++] = 0x22;
    sink.len = len;
  } else sink.quoted(utf8.decode(buf.subarray(pos, stop)));
  pos = stop;
}

function lengthEnd(end: number): number {
  const n = varint32(end);
  if (n < 0 || n > end - pos) throw NOT_FAST;
  return pos + n;
}

function fixed32(end: number): number {
  if (end - pos < 4) throw NOT_FAST;
  const v = (buf[pos] | buf[pos + 1] << 8 | buf[pos + 2] << 16 | buf[pos + 3] << 24) >>> 0;
  pos += 4;
  return v;
}

/** The low 32 bits of a varint (int32 negatives use 10 bytes). */
function varint32(end: number): number {
  let result = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (pos >= end) throw NOT_FAST;
    const b = buf[pos++];
    result |= (b & 0x7f) << shift;
    if (b < 0x80) return result;
  }
  for (let i = 0; i < 5; i++) {
    if (pos >= end) throw NOT_FAST;
    if (buf[pos++] < 0x80) return result;
  }
  throw NOT_FAST;
}

/** A 64-bit varint: returns the low word (unsigned), leaves the high word in `hi`. */
function varint64(end: number): number {
  let lo = 0;
  hi = 0;
  let b = 0;
  for (let shift = 0; shift < 28; shift += 7) {
    if (pos >= end) throw NOT_FAST;
    b = buf[pos++];
    lo |= (b & 0x7f) << shift;
    if (b < 0x80) return lo >>> 0;
  }
  if (pos >= end) throw NOT_FAST;
  b = buf[pos++];
  lo |= (b & 0x0f) << 28;
  hi = (b & 0x7f) >> 4;
  if (b < 0x80) return lo >>> 0;
  for (let shift = 3; shift < 38; shift += 7) {
    if (pos >= end) throw NOT_FAST;
    b = buf[pos++];
    if (shift < 32) hi |= (b & 0x7f) << shift;
    if (b < 0x80) {
      hi >>>= 0;
      return lo >>> 0;
    }
  }
  throw NOT_FAST;
}

function skip(wt: number, end: number): void {
  if (wt === 0) varint32(end);
  else if (wt === 2) pos = lengthEnd(end);
  else if (wt === 1 || wt === 5) {
    const n = wt === 1 ? 8 : 4;
    if (end - pos < n) throw NOT_FAST;
    pos += n;
  } else throw NOT_FAST; // groups and invalid wire types: the reference path decides
}
