/**
 * The JSON value `crit decode [--pretty]` prints for an image. Pretty-mode
 * rendering is driven by the `(view)` options of our `.proto` files.
 */
import { devText, DICT_TABLES, FLAG_TABLES, flagsText, ipText } from "./crit_tables.ts";
import { decodeBody, readHeader } from "./framing.ts";
import { imageKind } from "./image_kinds.ts";
import { readImageBytes, undecodableError } from "./image_file.ts";
import type { JsonValue } from "./json_render.ts";
import { messagePlan } from "./schema.ts";
import { base64Lines, quotedPrintable } from "./text_codecs.ts";
import type { Decoded } from "./wire_decode.ts";
import { type FieldPlan, type FieldView, Kind, type MessagePlan } from "./wire_plan.ts";

export interface CritJsonOptions {
  /** Like `crit decode --pretty`: hex, flag names, devices, addresses. */
  readonly pretty: boolean;
}

type JsonObject = { [key: string]: JsonValue };

/** `{"magic": NAME, "entries": [...]}` for the image at `path`. Throws ImageError. */
export function decodeImageToJson(path: string, options: CritJsonOptions): JsonObject {
  return imageBytesToJson(readImageBytes(path), path, options);
}

/** Same as {@link decodeImageToJson}, from bytes already read. */
export function imageBytesToJson(
  bytes: Uint8Array,
  path: string,
  options: CritJsonOptions,
): JsonObject {
  const header = readHeader(bytes, path);
  const kind = imageKind(header.name);
  if (!kind) throw undecodableError(path, header.name, header.bodyStart);
  const entries = decodeBody(bytes, header, kind, path, false);
  const first = messagePlan(kind.message);
  const rest = kind.layout === "pagemap"
    ? messagePlan("pagemap_entry")
    : kind.layout === "ghost"
    ? messagePlan("ghost_chunk_entry")
    : first;
  const out = entries.map((e, i) => {
    const obj = messageToJson(i === 0 ? first : rest, e, options.pretty, false);
    if (e.extra !== undefined) obj.extra = extraToJson(e.extra, kind.name);
    return obj;
  });
  return { magic: header.name, entries: out };
}

function extraToJson(extra: unknown, kind: string): JsonValue {
  if (extra instanceof Uint8Array) return base64Lines(extra);
  const parts = extra as Uint8Array[];
  if (kind === "TCP_STREAM") return { inq: base64Lines(parts[0]), outq: base64Lines(parts[1]) };
  return parts.map(base64Lines);
}

/** One message as crit's pb2dict makes it: fields in number order, present ones only. */
function messageToJson(
  plan: MessagePlan,
  msg: Decoded,
  pretty: boolean,
  inHex: boolean,
): JsonObject {
  const out: JsonObject = {};
  for (const f of plan.fields) {
    const value = msg[f.name];
    if (value === undefined) continue;
    const view = f.view;
    const hex = inHex || view.hex;
    if (f.repeated) {
      const list = value as unknown[];
      if (list.length === 0) continue;
      out[f.name] = pretty && view.ipadd
        ? [ipText(list as number[])]
        : list.map((item) => fieldToJson(f, view, item, pretty, hex));
    } else {
      out[f.name] = fieldToJson(f, view, value, pretty, hex);
    }
  }
  return out;
}

function fieldToJson(
  f: FieldPlan,
  view: FieldView,
  value: unknown,
  pretty: boolean,
  hex: boolean,
): JsonValue {
  switch (f.kind) {
    case Kind.MESSAGE:
      return messageToJson(f.message as MessagePlan, value as Decoded, pretty, hex);
    case Kind.BYTES:
      return view.conv === "unix_name"
        ? quotedPrintable(value as Uint8Array)
        : base64Lines(value as Uint8Array);
    case Kind.ENUM:
      return f.enumNames?.[value as number] ?? (value as number);
    case Kind.STRING:
    case Kind.BOOL:
    case Kind.FLOAT:
    case Kind.DOUBLE:
      return value as JsonValue;
  }
  const n = value as number | bigint;
  if (!pretty) return n;
  if (hex) return n < 0 ? "-0x" + (-n).toString(16) : "0x" + n.toString(16);
  if (view.dev) return devText(Number(n), view.odev);
  if (view.flags !== undefined) {
    const table = FLAG_TABLES[view.flags];
    return table ? flagsText(Number(n), table) : "0x" + n.toString(16);
  }
  if (view.dict !== undefined) return DICT_TABLES[view.dict]?.[f.name]?.[Number(n)] ?? n;
  return n;
}
