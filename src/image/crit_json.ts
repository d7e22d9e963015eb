/**
 * The JSON value `crit decode [--pretty]` prints for an image. Pretty-mode
 * rendering is driven by the `(view)` options of our `.proto` files.
 */
import { devText, DICT_TABLES, FLAG_TABLES, flagsText, ipText } from "./crit_tables.ts";
import { decodeBody, readHeader } from "./framing.ts";
import { type ImageKind, imageKind } from "./image_table.ts";
import { undecodableError } from "./image_file.ts";
import { readImageBytes } from "./image_open.ts";
import { Base64Text, type JsonValue } from "./json_render.ts";
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
  const plans = entryPlans(kind);
  const out = entries.map((e, i) => entryToJson(plans[i === 0 ? 0 : 1], e, kind.name, options));
  return { magic: header.name, entries: out };
}

/** The messages of an image's first entry and of the others (they differ for pagemap, ghost). */
export function entryPlans(kind: ImageKind): [MessagePlan, MessagePlan] {
  const first = messagePlan(kind.message);
  return [
    first,
    kind.layout === "pagemap"
      ? messagePlan("pagemap_entry")
      : kind.layout === "ghost"
      ? messagePlan("ghost_chunk_entry")
      : first,
  ];
}

/**
 * One entry as crit prints it, raw payloads under "extra" in base64. With
 * `bytesAsText`, those stay {@link Base64Text} (the bytes), for a writer that
 * streams them instead of making one string of them.
 */
export function entryToJson(
  plan: MessagePlan,
  e: Decoded,
  kind: string,
  options: CritJsonOptions & { bytesAsText?: boolean },
): JsonObject {
  const obj = messageToJson(plan, e, options.pretty, false);
  if (e.extra === undefined) return obj;
  const b64 = options.bytesAsText
    ? (b: Uint8Array) => new Base64Text(b) as unknown as JsonValue
    : base64Lines;
  if (e.extra instanceof Uint8Array) obj.extra = b64(e.extra);
  else {
    const parts = e.extra as Uint8Array[];
    obj.extra = kind === "TCP_STREAM"
      ? { inq: b64(parts[0]), outq: b64(parts[1]) }
      : parts.map(b64);
  }
  return obj;
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
