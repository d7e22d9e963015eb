/**
 * A small protobuf (proto2) wire decoder driven by a {@link MessagePlan}.
 *
 * Entries become plain objects: snake_case names, only fields present on the
 * wire, enums as numbers, 64-bit integers as bigint, bytes as subarray views.
 * Unknown fields of every wire type are skipped.
 */
import { Kind, type MessagePlan } from "./wire_plan.ts";

/** A malformed message; `offset` is absolute in the decoded buffer. */
export class WireError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
    this.name = "WireError";
  }
}

export type Decoded = Record<string, unknown>;

const utf8 = new TextDecoder();

// Decoder state is module-level: one decode runs at a time (no awaits inside).
let buf: Uint8Array = new Uint8Array(0);
let view: DataView = new DataView(buf.buffer);
let pos = 0;
let hi = 0; // high word of the last 64-bit varint

/**
 * Decodes `bytes[start, end)` as one message of `plan`.
 * With `withDefaults`, declared non-zero defaults fill absent optional fields.
 */
export function decodeMessage(
  plan: MessagePlan,
  bytes: Uint8Array,
  start: number,
  end: number,
  withDefaults = false,
): Decoded {
  if (bytes !== buf) {
    buf = bytes;
    view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  pos = start;
  return readMessage(plan, end, withDefaults, {});
}

/**
 * Where the one length-delimited field `id` of the message `bytes[start, end)`
 * lies: [from, to) of its contents. Undefined when the field is absent, comes
 * more than once (protobuf merges those) or has another wire type. The message
 * must have decoded cleanly already.
 */
export function fieldSpan(
  bytes: Uint8Array,
  start: number,
  end: number,
  id: number,
): [number, number] | undefined {
  if (bytes !== buf) {
    buf = bytes;
    view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  pos = start;
  let span: [number, number] | undefined;
  while (pos < end) {
    const tag = varint32(end);
    if (tag >>> 3 === id) {
      if (span !== undefined || (tag & 7) !== 2) return undefined;
      const len = varint32(end);
      span = [pos, checkedEnd(len, end)];
      pos = span[1];
    } else skip(tag & 7, tag >>> 3, end);
  }
  return span;
}

function readMessage(plan: MessagePlan, end: number, defaults: boolean, obj: Decoded): Decoded {
  const byId = plan.byId;
  while (pos < end) {
    const tagAt = pos;
    const tag = varint32(end);
    const id = tag >>> 3;
    const wt = tag & 7;
    if (id === 0) throw new WireError(`invalid field number 0 in ${plan.name}`, tagAt);
    const f = id < byId.length ? byId[id] : undefined;
    if (f === undefined) {
      skip(wt, id, end);
      continue;
    }
    if (wt === f.wireType) {
      const v = readValue(f.kind, end, f.message, defaults, f.repeated ? undefined : obj[f.name]);
      if (f.repeated) {
        const list = obj[f.name] as unknown[] | undefined;
        if (list) list.push(v);
        else obj[f.name] = [v];
      } else obj[f.name] = v;
    } else if (wt === 2 && f.repeated && f.wireType !== 2) {
      // packed repeated scalars
      const len = varint32(end);
      const stop = checkedEnd(len, end);
      const list = (obj[f.name] as unknown[] | undefined) ?? (obj[f.name] = []) as unknown[];
      while (pos < stop) list.push(readValue(f.kind, stop, undefined, false, undefined));
      if (pos !== stop) throw new WireError(`packed ${plan.name}.${f.name} overruns`, pos);
    } else {
      skip(wt, id, end); // a wire type the schema does not expect: unknown, like protoc
    }
  }
  if (pos !== end) throw new WireError(`${plan.name} overruns its length`, pos);
  const required = plan.requiredNames;
  for (let i = 0; i < required.length; i++) {
    if (!(required[i] in obj)) {
      throw new WireError(`missing required field ${plan.name}.${required[i]}`, end);
    }
  }
  if (defaults) {
    for (const [name, value] of plan.defaults) if (!(name in obj)) obj[name] = value;
  }
  return obj;
}

function readValue(
  kind: Kind,
  end: number,
  sub: MessagePlan | undefined,
  defaults: boolean,
  prev: unknown,
): unknown {
  switch (kind) {
    case Kind.UINT32:
      return varint32(end) >>> 0;
    case Kind.INT32:
    case Kind.ENUM:
      return varint32(end) | 0;
    case Kind.SINT32: {
      const n = varint32(end);
      return (n >>> 1) ^ -(n & 1);
    }
    case Kind.BOOL:
      return varint32(end) !== 0;
    case Kind.UINT64: {
      const lo = varint64(end);
      return hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo);
    }
    case Kind.INT64: {
      const lo = varint64(end);
      return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
    }
    case Kind.SINT64: {
      const lo = varint64(end);
      const n = (BigInt(hi) << 32n) | BigInt(lo);
      return (n >> 1n) ^ -(n & 1n);
    }
    case Kind.FIXED32:
      need(4, end);
      pos += 4;
      return view.getUint32(pos - 4, true);
    case Kind.SFIXED32:
      need(4, end);
      pos += 4;
      return view.getInt32(pos - 4, true);
    case Kind.FLOAT:
      need(4, end);
      pos += 4;
      return view.getFloat32(pos - 4, true);
    case Kind.FIXED64:
      need(8, end);
      pos += 8;
      return view.getBigUint64(pos - 8, true);
    case Kind.SFIXED64:
      need(8, end);
      pos += 8;
      return view.getBigInt64(pos - 8, true);
    case Kind.DOUBLE:
      need(8, end);
      pos += 8;
      return view.getFloat64(pos - 8, true);
    case Kind.STRING: {
      const stop = checkedEnd(varint32(end), end);
      const s = utf8.decode(buf.subarray(pos, stop));
      pos = stop;
      return s;
    }
    case Kind.BYTES: {
      const stop = checkedEnd(varint32(end), end);
      const b = buf.subarray(pos, stop);
      pos = stop;
      return b;
    }
    case Kind.MESSAGE: {
      const stop = checkedEnd(varint32(end), end);
      const target = (prev as Decoded | undefined) ?? {}; // a repeated field merges
      return readMessage(sub as MessagePlan, stop, defaults, target);
    }
  }
}

function need(n: number, end: number): void {
  if (end - pos < n) {
    throw new WireError(`value truncated (wanted ${n} bytes, got ${end - pos})`, pos);
  }
}

function checkedEnd(len: number, end: number): number {
  if (len < 0 || len > end - pos) {
    throw new WireError(`length ${len >>> 0} runs past the end (${end - pos} bytes left)`, pos);
  }
  return pos + len;
}

/** Reads a varint and returns its low 32 bits (int32 negatives use 10 bytes). */
function varint32(end: number): number {
  const at = pos;
  let result = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (pos >= end) throw new WireError("varint truncated", at);
    const b = buf[pos++];
    result |= (b & 0x7f) << shift;
    if (b < 0x80) return result;
  }
  for (let i = 0; i < 5; i++) {
    if (pos >= end) throw new WireError("varint truncated", at);
    if (buf[pos++] < 0x80) return result;
  }
  throw new WireError("varint longer than 10 bytes", at);
}

/** Reads a 64-bit varint: returns the low word, leaves the high word in `hi`. */
function varint64(end: number): number {
  const at = pos;
  let lo = 0;
  hi = 0;
  let b = 0;
  for (let shift = 0; shift < 28; shift += 7) {
    if (pos >= end) throw new WireError("varint truncated", at);
    b = buf[pos++];
    lo |= (b & 0x7f) << shift;
    if (b < 0x80) return lo >>> 0;
  }
  if (pos >= end) throw new WireError("varint truncated", at);
  b = buf[pos++];
  lo |= (b & 0x0f) << 28;
  hi = (b & 0x7f) >> 4;
  if (b < 0x80) return lo >>> 0;
  for (let shift = 3; shift < 38; shift += 7) {
    if (pos >= end) throw new WireError("varint truncated", at);
    b = buf[pos++];
    if (shift < 32) hi |= (b & 0x7f) << shift;
    if (b < 0x80) {
      hi >>>= 0;
      return lo >>> 0;
    }
  }
  throw new WireError("varint longer than 10 bytes", at);
}

function skip(wt: number, id: number, end: number): void {
  switch (wt) {
    case 0:
      varint32(end);
      return;
    case 1:
      need(8, end);
      pos += 8;
      return;
    case 2:
      pos = checkedEnd(varint32(end), end);
      return;
    case 5:
      need(4, end);
      pos += 4;
      return;
    case 3: // a group: skip fields up to its end tag
      for (;;) {
        const tagAt = pos;
        const tag = varint32(end);
        if ((tag & 7) === 4) {
          if (tag >>> 3 !== id) throw new WireError("mismatched end group", tagAt);
          return;
        }
        skip(tag & 7, tag >>> 3, end);
      }
    default:
      throw new WireError(`invalid wire type ${wt} for field ${id}`, pos);
  }
}
