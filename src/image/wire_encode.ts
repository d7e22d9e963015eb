/**
 * The inverse of wire_decode.ts, for fixtures, tests and benchmarks: a plain
 * entry object (the decoder's shape: bigints, Uint8Array views, enums as
 * numbers or names) becomes proto2 wire bytes, fields in number order.
 * Like protobufjs, an absent required scalar is written with its default.
 */
import { type FieldPlan, Kind, type MessagePlan } from "./wire_plan.ts";

/** Encodes `obj` as one message of `plan`. Throws TypeError for values of the wrong shape. */
export function encodeMessage(plan: MessagePlan, obj: Record<string, unknown>): Uint8Array {
  const out = new ByteSink();
  writeMessage(out, plan, obj);
  return out.bytes();
}

class ByteSink {
  private buf = new Uint8Array(256);
  len = 0;

  bytes(): Uint8Array {
    return this.buf.slice(0, this.len);
  }

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    bigger.set(this.buf.subarray(0, this.len));
    this.buf = bigger;
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.len++] = b;
  }

  raw(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  /** An unsigned varint of up to 64 bits. */
  varint(v: number | bigint): void {
    if (typeof v === "number" && v >= 0 && v <= 0x7fffffff) {
      while (v > 0x7f) {
        this.byte((v & 0x7f) | 0x80);
        v >>>= 7;
      }
      return this.byte(v);
    }
    let n = BigInt.asUintN(64, BigInt(v));
    while (n > 0x7fn) {
      this.byte(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
    }
    this.byte(Number(n));
  }

  fixed(v: number | bigint, size: 4 | 8, float: boolean): void {
    const b = new Uint8Array(size);
    const view = new DataView(b.buffer);
    if (float) {
      size === 4 ? view.setFloat32(0, Number(v), true) : view.setFloat64(0, Number(v), true);
    } else if (size === 4) view.setUint32(0, Number(BigInt.asUintN(32, BigInt(v))), true);
    else view.setBigUint64(0, BigInt.asUintN(64, BigInt(v)), true);
    this.raw(b);
  }
}

function writeMessage(out: ByteSink, plan: MessagePlan, obj: Record<string, unknown>): void {
  for (const f of plan.fields) {
    let value = obj[f.name];
    if (value === undefined || value === null) {
      if (!f.required) continue;
      if (f.kind === Kind.MESSAGE) {
        throw new TypeError(`${plan.name}.${f.name}: a required message is missing`);
      }
      value = zeroOf(f);
    }
    if (!f.repeated) {
      writeField(out, f, value);
      continue;
    }
    if (!Array.isArray(value)) throw new TypeError(`${plan.name}.${f.name}: not an array`);
    if (value.length === 0) continue;
    if (f.packed && f.wireType !== 2) {
      const inner = new ByteSink();
      for (const item of value) writeValue(inner, f, item);
      out.varint(f.id * 8 + 2);
      out.varint(inner.len);
      out.raw(inner.bytes());
    } else {
      for (const item of value) writeField(out, f, item);
    }
  }
}

function writeField(out: ByteSink, f: FieldPlan, value: unknown): void {
  out.varint(f.id * 8 + f.wireType);
  writeValue(out, f, value);
}

function writeValue(out: ByteSink, f: FieldPlan, value: unknown): void {
  switch (f.kind) {
    case Kind.UINT32:
    case Kind.UINT64:
    case Kind.INT32: // negatives take 10 bytes, as protoc writes them
    case Kind.INT64:
      return out.varint(integer(f, value));
    case Kind.SINT32:
    case Kind.SINT64: {
      const n = BigInt(integer(f, value));
      return out.varint(n < 0n ? -2n * n - 1n : 2n * n);
    }
    case Kind.BOOL:
      return out.byte(value ? 1 : 0);
    case Kind.ENUM: {
      const n = typeof value === "string" ? f.enumValues?.[value] : value;
      if (typeof n !== "number") throw new TypeError(`${f.name}: no enum value ${String(value)}`);
      return out.varint(n);
    }
    case Kind.FIXED32:
    case Kind.SFIXED32:
      return out.fixed(integer(f, value), 4, false);
    case Kind.FIXED64:
    case Kind.SFIXED64:
      return out.fixed(integer(f, value), 8, false);
    case Kind.FLOAT:
      return out.fixed(value as number, 4, true);
    case Kind.DOUBLE:
      return out.fixed(value as number, 8, true);
    case Kind.STRING:
    case Kind.BYTES: {
      const b = typeof value === "string" ? new TextEncoder().encode(value) : value;
      if (!(b instanceof Uint8Array)) throw new TypeError(`${f.name}: not bytes`);
      out.varint(b.length);
      return out.raw(b);
    }
    case Kind.MESSAGE: {
      if (typeof value !== "object" || value === null) {
        throw new TypeError(`${f.name}: not a message`);
      }
      const inner = new ByteSink();
      writeMessage(inner, f.message as MessagePlan, value as Record<string, unknown>);
      out.varint(inner.len);
      return out.raw(inner.bytes());
    }
  }
}

// 64-bit values may come as bigint, number or decimal string (as protobufjs took them).
function integer(f: FieldPlan, value: unknown): number | bigint {
  if (typeof value === "number" && Number.isInteger(value)) return value;
  if (typeof value === "bigint") return value;
  if (typeof value === "string" && /^-?\d+$/.test(value)) return BigInt(value);
  throw new TypeError(`${f.name}: not an integer: ${String(value)}`);
}

function zeroOf(f: FieldPlan): unknown {
  if (f.defaultValue !== undefined) return f.defaultValue;
  switch (f.kind) {
    case Kind.BOOL:
      return false;
    case Kind.STRING:
      return "";
    case Kind.BYTES:
      return new Uint8Array(0);
    case Kind.ENUM: // protobufjs: the first value declared
      return Object.values(f.enumValues ?? {})[0] ?? 0;
    default:
      return 0;
  }
}
