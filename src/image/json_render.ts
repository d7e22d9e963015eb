/**
 * JSON text the way Python's `json.dump` writes it (what crit prints):
 * ASCII-only escapes, ", " and ": " separators, 4-space indent when pretty,
 * and bigints written with all their digits.
 */
import { indentBytes, JsonSink } from "./json_sink.ts";

/** A JSON value whose integers may be bigints. */
export type JsonValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

/**
 * Bytes that render as crit's base64 text, written from the bytes when the
 * text is (see JsonSink.base64Lines). Only a streaming writer makes these.
 */
export class Base64Text {
  constructor(readonly bytes: Uint8Array) {}
}

/** Renders `value` like `json.dumps(value, indent=4 if pretty else None)`. */
export function renderJson(value: JsonValue, pretty: boolean): string {
  const sink = new JsonSink();
  writeJsonValue(sink, value, pretty, 0);
  return ascii.decode(sink.bytes());
}

const ascii = new TextDecoder();
const COMMA = new Uint8Array([0x2c]);
const COMMA_SPACE = new Uint8Array([0x2c, 0x20]);
const COLON_SPACE = new Uint8Array([0x3a, 0x20]);

/** Writes `v` at nesting `depth` (pretty indentation of its inner lines is depth + 1). */
export function writeJsonValue(sink: JsonSink, v: JsonValue, pretty: boolean, depth: number): void {
  if (v === null) sink.ascii("null");
  else if ((v as unknown) instanceof Base64Text) {
    sink.base64Lines((v as unknown as Base64Text).bytes);
  } else if (typeof v === "string") sink.quoted(v);
  else if (typeof v === "number") {
    if (Number.isSafeInteger(v)) sink.int(v);
    else sink.ascii(Number.isInteger(v) ? String(v) : pyFloat(v));
  } else if (typeof v === "bigint" || typeof v === "boolean") sink.ascii(String(v));
  else if (Array.isArray(v)) {
    if (v.length === 0) return sink.ascii("[]");
    sink.ascii("[");
    for (let i = 0; i < v.length; i++) {
      if (i > 0) sink.raw(pretty ? COMMA : COMMA_SPACE);
      if (pretty) sink.raw(indentBytes(depth + 1));
      writeJsonValue(sink, v[i], pretty, depth + 1);
    }
    if (pretty) sink.raw(indentBytes(depth));
    sink.ascii("]");
  } else {
    const keys = Object.keys(v);
    if (keys.length === 0) return sink.ascii("{}");
    sink.ascii("{");
    for (let i = 0; i < keys.length; i++) {
      if (i > 0) sink.raw(pretty ? COMMA : COMMA_SPACE);
      if (pretty) sink.raw(indentBytes(depth + 1));
      sink.quoted(keys[i]);
      sink.raw(COLON_SPACE);
      writeJsonValue(sink, v[keys[i]], pretty, depth + 1);
    }
    if (pretty) sink.raw(indentBytes(depth));
    sink.ascii("}");
  }
}

function pyFloat(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "Infinity" : "-Infinity";
  return String(v);
}
