/**
 * Writing images for tests, fixtures and benchmarks: protobufjs encodes each
 * entry (`Type.encode`, from the same proto/ files the schema is compiled
 * from), and the entries are framed as CRIU frames them. The inverse of the
 * readers, extras included. fdrestore itself never writes images, so none of
 * this (nor protobufjs) is in src/.
 */
import protobuf from "protobufjs";
import { protoRoot } from "../../scripts/compile_schema.ts";
import {
  hasHeadWord,
  HEAD_MAGIC_COMMON,
  HEAD_MAGIC_SERVICE,
  headMagicOf,
  imageKind,
  magicOf,
} from "../../src/image/image_table.ts";

export interface ImageWriteOptions {
  /**
   * The head word: "auto" (the image table's: none for INVENTORY, service
   * for STATS and IRMAP_CACHE, common otherwise), "none" (a v1 image) or a number.
   */
  readonly head?: "auto" | "none" | number;
  /** Override the image magic (to make wrong-magic fixtures). */
  readonly magic?: number;
}

/** A payload already encoded, and raw bytes to put after it. */
export interface FramedEntry {
  readonly payload: Uint8Array;
  readonly extra?: Uint8Array | readonly Uint8Array[];
}

type Plain = Record<string, unknown>;

let root: protobuf.Root | undefined; // proto/ parsed once per process: fixtures encode often

/**
 * Encodes one plain entry (the decoder's shape: bigints, Uint8Array views,
 * enums as numbers or names; `extra` is ignored) as message `message` of
 * proto/, or of `types` when given. Like protoc, fields go in number order
 * and an absent required scalar is written with its default.
 */
export function encodeEntry(message: string, entry: Plain, types?: protobuf.Root): Uint8Array {
  const type = (types ?? (root ??= protoRoot())).lookupType(message);
  // A plain Uint8Array, not the Buffer protobufjs makes under Deno's Node layer.
  return new Uint8Array(type.encode(forProtobufjs(type, entry)).finish());
}

/** `obj` as protobufjs's encoder takes it: 64-bit values as {low, high}, enums as numbers. */
function forProtobufjs(type: protobuf.Type, obj: Plain): Plain {
  const out: Plain = {};
  for (const f of type.fieldsArray) {
    f.resolve();
    let value = obj[f.name];
    if (value === undefined || value === null) {
      if (!f.required) continue;
      if (f.resolvedType instanceof protobuf.Type) {
        throw new TypeError(`${type.name}.${f.name}: a required message is missing`);
      }
      value = zeroOf(f);
    }
    const one = (v: unknown) => valueOf(f, v);
    if (!f.repeated) out[f.name] = one(value);
    else if (Array.isArray(value)) out[f.name] = value.map(one);
    else throw new TypeError(`${type.name}.${f.name}: not an array`);
  }
  return out;
}

const LONG = new Set(["uint64", "int64", "sint64", "fixed64", "sfixed64"]);

function valueOf(f: protobuf.Field, value: unknown): unknown {
  const t = f.resolvedType;
  if (t instanceof protobuf.Type) {
    if (typeof value !== "object" || value === null) {
      throw new TypeError(`${f.name}: not a message`);
    }
    return forProtobufjs(t, value as Plain);
  }
  if (t instanceof protobuf.Enum) {
    const n = typeof value === "string" ? t.values[value] : value;
    if (typeof n !== "number") throw new TypeError(`${f.name}: no enum value ${String(value)}`);
    return n;
  }
  if (LONG.has(f.type)) return longBits(f, value);
  if ((f.type === "bytes") && typeof value === "string") return new TextEncoder().encode(value);
  if (f.type === "bytes" && !(value instanceof Uint8Array)) {
    throw new TypeError(`${f.name}: not bytes`);
  }
  return value;
}

// 64-bit values may come as bigint, number or decimal string.
function longBits(f: protobuf.Field, value: unknown): { low: number; high: number } {
  const ok = typeof value === "bigint" || (typeof value === "number" && Number.isInteger(value)) ||
    (typeof value === "string" && /^-?\d+$/.test(value));
  if (!ok) throw new TypeError(`${f.name}: not an integer: ${String(value)}`);
  const n = BigInt.asUintN(64, BigInt(value as bigint));
  return { low: Number(n & 0xffffffffn) | 0, high: Number(n >> 32n) | 0 };
}

function zeroOf(f: protobuf.Field): unknown {
  const d = (f.options as Plain | undefined)?.default;
  const en = f.resolvedType instanceof protobuf.Enum ? f.resolvedType : undefined;
  if (d !== undefined) return en && typeof d === "string" ? en.values[d] : d;
  if (en) return Object.values(en.values)[0] ?? 0; // protobufjs: the first value declared
  if (f.type === "bool") return false;
  if (f.type === "string") return "";
  if (f.type === "bytes") return new Uint8Array(0);
  return 0;
}

/** Header + `u32 LE length + payload [+ extra]` for each entry. */
export function frameImage(
  name: string,
  entries: readonly FramedEntry[],
  options: ImageWriteOptions = {},
): Uint8Array {
  const head = options.head ?? "auto";
  const words: number[] = [];
  if (head === "auto") {
    if (hasHeadWord(name)) words.push(headMagicOf(name));
  } else if (head !== "none") words.push(head);
  const magic = options.magic ?? magicOf(name);
  if (magic === undefined) throw new TypeError(`no magic for ${name} images`);
  words.push(magic);
  let size = words.length * 4;
  const extras = (e: FramedEntry): readonly Uint8Array[] =>
    e.extra === undefined ? [] : e.extra instanceof Uint8Array ? [e.extra] : e.extra;
  for (const e of entries) {
    size += 4 + e.payload.length + extras(e).reduce((n, x) => n + x.length, 0);
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let off = 0;
  for (const w of words) view.setUint32((off += 4) - 4, w, true);
  for (const e of entries) {
    view.setUint32(off, e.payload.length, true);
    out.set(e.payload, off + 4);
    off += 4 + e.payload.length;
    for (const x of extras(e)) {
      out.set(x, off);
      off += x.length;
    }
  }
  return out;
}

/**
 * Encodes a whole image of kind `name` ("FILES", "PIPES_DATA"...). An entry's
 * `extra` (Uint8Array, or an array for TCP_STREAM) is written after it.
 */
export function encodeImage(
  name: string,
  entries: readonly Plain[],
  options: ImageWriteOptions = {},
): Uint8Array {
  const kind = imageKind(name);
  if (!kind) throw new TypeError(`no encoder for ${name} images`);
  const framed = entries.map((entry, i) => {
    let message = kind.message;
    if (i > 0 && kind.layout === "pagemap") message = "pagemap_entry";
    if (i > 0 && kind.layout === "ghost") message = "ghost_chunk_entry";
    const extra = entry.extra as Uint8Array | Uint8Array[] | undefined;
    return { payload: encodeEntry(message, entry), extra };
  });
  return frameImage(name, framed, options);
}

/** {@link encodeImage} into a file. */
export function writeImage(
  path: string,
  name: string,
  entries: readonly Plain[],
  options: ImageWriteOptions = {},
): void {
  Deno.writeFileSync(path, encodeImage(name, entries, options));
}

export { HEAD_MAGIC_COMMON, HEAD_MAGIC_SERVICE };
