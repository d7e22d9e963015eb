/**
 * Compiles the message types of our `.proto` schema into flat decoding plans:
 * an array indexed by field number, so the decoder does one array read per
 * field, with each field's display options read once.
 */
import type { ProtoEnum, ProtoField, ProtoSchema } from "./schema_types.ts";

/** How a field's value is read off the wire and represented in JS. */
export enum Kind {
  UINT32,
  INT32,
  SINT32,
  UINT64,
  INT64,
  SINT64,
  BOOL,
  ENUM,
  FIXED32,
  SFIXED32,
  FIXED64,
  SFIXED64,
  FLOAT,
  DOUBLE,
  STRING,
  BYTES,
  MESSAGE,
}

/** Kind of each proto2 scalar type name (the schema test maps protobufjs types with it too). */
export const SCALAR_KINDS: Readonly<Record<string, Kind>> = {
  uint32: Kind.UINT32,
  int32: Kind.INT32,
  sint32: Kind.SINT32,
  uint64: Kind.UINT64,
  int64: Kind.INT64,
  sint64: Kind.SINT64,
  bool: Kind.BOOL,
  fixed32: Kind.FIXED32,
  sfixed32: Kind.SFIXED32,
  fixed64: Kind.FIXED64,
  sfixed64: Kind.SFIXED64,
  float: Kind.FLOAT,
  double: Kind.DOUBLE,
  string: Kind.STRING,
  bytes: Kind.BYTES,
};

/** The wire type each kind is normally encoded with. */
export function wireTypeOf(kind: Kind): number {
  switch (kind) {
    case Kind.FIXED64:
    case Kind.SFIXED64:
    case Kind.DOUBLE:
      return 1;
    case Kind.STRING:
    case Kind.BYTES:
    case Kind.MESSAGE:
      return 2;
    case Kind.FIXED32:
    case Kind.SFIXED32:
    case Kind.FLOAT:
      return 5;
    default:
      return 0;
  }
}

/** How crit's pretty mode shows a field: our `(view).*` options. */
export interface FieldView {
  readonly hex: boolean;
  readonly ipadd: boolean;
  readonly flags?: string;
  readonly dev: boolean;
  readonly odev: boolean;
  readonly dict?: string;
  readonly conv?: string;
}

export interface FieldPlan {
  readonly name: string;
  readonly id: number;
  readonly kind: Kind;
  readonly wireType: number;
  readonly repeated: boolean;
  readonly required: boolean;
  readonly packed: boolean;
  /** Set for MESSAGE fields; filled in after construction (types can recurse). */
  message: MessagePlan | undefined;
  /** ENUM fields: value names by number, and numbers by name. */
  readonly enumNames: Readonly<Record<number, string>> | undefined;
  readonly enumValues: Readonly<Record<string, number>> | undefined;
  readonly view: FieldView;
  /** The declared `[default = ..]`, converted to the decoded representation. */
  readonly defaultValue: unknown;
}

export interface MessagePlan {
  readonly name: string;
  /** Index = field number; holes are unknown fields. */
  readonly byId: (FieldPlan | undefined)[];
  /** In field number order. */
  readonly fields: readonly FieldPlan[];
  readonly requiredNames: readonly string[];
  /** Declared non-zero defaults of optional scalar fields, applied on request. */
  readonly defaults: readonly (readonly [string, unknown])[];
}

/** Builds (and caches) the plans of one schema; `plan(name)` takes a full message name. */
export class PlanBuilder {
  private readonly cache = new Map<string, MessagePlan>();

  constructor(private readonly schema: ProtoSchema) {}

  plan(fullName: string): MessagePlan {
    const hit = this.cache.get(fullName);
    if (hit) return hit;
    const type = this.schema.messages.get(fullName);
    if (!type) throw new Error(`no message type ${fullName}`);
    const byId: (FieldPlan | undefined)[] = [];
    const fields: FieldPlan[] = [];
    const plan: MessagePlan = {
      name: type.name,
      byId,
      fields,
      requiredNames: [],
      defaults: [],
    };
    this.cache.set(fullName, plan); // before recursing, for self-referencing types
    const sorted = [...type.fields].sort((a, b) => a.id - b.id);
    for (const f of sorted) {
      const en = this.schema.enums.get(f.type);
      const kind = Object.hasOwn(SCALAR_KINDS, f.type)
        ? SCALAR_KINDS[f.type]
        : en
        ? Kind.ENUM
        : Kind.MESSAGE;
      const fp: FieldPlan = {
        name: f.name,
        id: f.id,
        kind,
        wireType: wireTypeOf(kind),
        repeated: f.label === "repeated",
        required: f.label === "required",
        packed: f.options.packed === true,
        message: undefined,
        enumNames: en?.byNumber,
        enumValues: en?.byName,
        view: viewOf(f),
        defaultValue: defaultOf(f, kind, en),
      };
      byId[f.id] = fp;
      fields.push(fp);
      if (fp.required) (plan.requiredNames as string[]).push(f.name);
      const d = fp.defaultValue;
      if (!fp.repeated && d !== undefined && d !== 0 && d !== false && d !== "") {
        (plan.defaults as (readonly [string, unknown])[]).push([f.name, d]);
      }
    }
    sorted.forEach((f, i) => {
      if (fields[i].kind === Kind.MESSAGE) fields[i].message = this.plan(f.type);
    });
    return plan;
  }
}

function viewOf(f: ProtoField): FieldView {
  const o = f.options;
  const text = (v: unknown) => typeof v === "string" ? v : undefined;
  return {
    hex: o["(view).hex"] === true,
    ipadd: o["(view).ipadd"] === true,
    flags: text(o["(view).flags"]),
    dev: o["(view).dev"] === true,
    odev: o["(view).odev"] === true,
    dict: text(o["(view).dict"]),
    conv: text(o["(view).conv"]),
  };
}

function defaultOf(f: ProtoField, kind: Kind, en: ProtoEnum | undefined): unknown {
  const d = f.options.default;
  if (d === undefined || f.label === "repeated") return undefined;
  if (en !== undefined && typeof d === "string") return en.byName[d];
  if (kind === Kind.UINT64 || kind === Kind.INT64 || kind === Kind.SINT64) {
    return BigInt(d as number);
  }
  return d;
}
