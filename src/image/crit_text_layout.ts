/**
 * The fixed bytes of crit's JSON layout around transcoded values, made once
 * per message type, nesting depth and mode (pretty or plain).
 */
import type { MessagePlan } from "./wire_plan.ts";

/**
 * Per message, nesting depth and mode: the bytes before each field (brace or
 * comma, indentation, `"name": `), the closing bytes, and each field's
 * position, by number.
 */
export interface RenderInfo {
  readonly plan: MessagePlan;
  readonly depth: number;
  /** The infos of MESSAGE fields' types, by position, made on first use. */
  readonly sub: (RenderInfo | undefined)[];
  readonly first: readonly Uint8Array[];
  readonly next: readonly Uint8Array[];
  readonly close: Uint8Array;
  readonly index: Int32Array;
  readonly required: number;
  /** The last message of this info transcoded, and where its text went (see crit_text.ts). */
  readonly last: {
    run: number;
    src: number;
    len: number;
    hex: boolean;
    out: number;
    outLen: number;
  };
}

const infos = new WeakMap<MessagePlan, RenderInfo[]>();
const encoder = new TextEncoder();

export function infoOf(plan: MessagePlan, depth: number, pretty: boolean): RenderInfo {
  let byDepth = infos.get(plan);
  if (!byDepth) infos.set(plan, byDepth = []);
  const slot = depth * 2 + (pretty ? 1 : 0);
  let info = byDepth[slot];
  if (!info) {
    const index = new Int32Array(plan.byId.length).fill(-1);
    plan.fields.forEach((f, i) => index[f.id] = i);
    const inner = pretty ? "\n" + "    ".repeat(depth + 1) : "";
    info = byDepth[slot] = {
      plan,
      depth,
      sub: [],
      first: plan.fields.map((f) => encoder.encode(`{${inner}"${f.name}": `)),
      next: plan.fields.map((f) => encoder.encode(`,${pretty ? inner : " "}"${f.name}": `)),
      close: encoder.encode(pretty ? "\n" + "    ".repeat(depth) + "}" : "}"),
      index,
      required: plan.requiredNames.length,
      last: { run: -1, src: 0, len: 0, hex: false, out: 0, outLen: 0 },
    };
  }
  return info;
}

/** Separators of list items at `depth`: before the first, between, and the closing bracket. */
export interface ListPunct {
  readonly first: Uint8Array;
  readonly next: Uint8Array;
  readonly close: Uint8Array;
}

const puncts: ListPunct[] = [];

export function punctOf(depth: number, pretty: boolean): ListPunct {
  const slot = depth * 2 + (pretty ? 1 : 0);
  return puncts[slot] ??= pretty
    ? {
      first: encoder.encode("\n" + "    ".repeat(depth)),
      next: encoder.encode(",\n" + "    ".repeat(depth)),
      close: encoder.encode("\n" + "    ".repeat(depth - 1) + "]"),
    }
    : { first: new Uint8Array(0), next: encoder.encode(", "), close: encoder.encode("]") };
}
