/**
 * Compiles a protobufjs message type into a flat decoding plan: an array
 * indexed by field number, so the decoder does one array read per field.
 */
import protobuf from "protobufjs";

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

const SCALAR_KINDS: Record<string, Kind> = {
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

export interface FieldPlan {
  readonly name: string;
  readonly id: number;
  readonly kind: Kind;
  readonly wireType: number;
  readonly repeated: boolean;
  readonly required: boolean;
  /** Set for MESSAGE fields; filled in after construction (types can recurse). */
  message: MessagePlan | undefined;
  /** The protobufjs field, for display options and enum names. */
  readonly field: protobuf.Field;
}

export interface MessagePlan {
  readonly name: string;
  readonly type: protobuf.Type;
  /** Index = field number; holes are unknown fields. */
  readonly byId: (FieldPlan | undefined)[];
  readonly fields: readonly FieldPlan[];
  readonly requiredNames: readonly string[];
  /** Declared non-zero defaults of optional scalar fields, applied on request. */
  readonly defaults: readonly (readonly [string, unknown])[];
}

const cache = new Map<protobuf.Type, MessagePlan>();

/** The (cached) plan of a message type. */
export function planOf(type: protobuf.Type): MessagePlan {
  const hit = cache.get(type);
  if (hit) return hit;
  const fields = [...type.fieldsArray].sort((a, b) => a.id - b.id);
  const byId: (FieldPlan | undefined)[] = [];
  const plan: MessagePlan = {
    name: type.name,
    type,
    byId,
    fields: [],
    requiredNames: fields.filter((f) => f.required).map((f) => f.name),
    defaults: fields.flatMap((f) => declaredDefault(f)),
  };
  cache.set(type, plan); // before recursing, for self-referencing types
  const list: FieldPlan[] = [];
  for (const f of fields) {
    f.resolve();
    const kind = kindOf(f);
    const fp: FieldPlan = {
      name: f.name,
      id: f.id,
      kind,
      wireType: wireTypeOf(kind),
      repeated: f.repeated,
      required: f.required,
      message: undefined,
      field: f,
    };
    if (kind === Kind.MESSAGE) fp.message = planOf(f.resolvedType as protobuf.Type);
    byId[f.id] = fp;
    list.push(fp);
  }
  (plan.fields as FieldPlan[]).push(...list);
  return plan;
}

function kindOf(f: protobuf.Field): Kind {
  const scalar = SCALAR_KINDS[f.type];
  if (scalar !== undefined) return scalar;
  if (f.resolvedType instanceof protobuf.Enum) return Kind.ENUM;
  if (f.resolvedType instanceof protobuf.Type) return Kind.MESSAGE;
  throw new Error(`unresolved type ${f.type} of field ${f.fullName}`);
}

function declaredDefault(f: protobuf.Field): (readonly [string, unknown])[] {
  if (f.repeated || f.options?.default === undefined) return [];
  const d: unknown = f.options.default;
  if (d === 0 || d === false || d === "") return [];
  if (f.resolvedType instanceof protobuf.Enum && typeof d === "string") {
    return [[f.name, f.resolvedType.values[d]]];
  }
  const kind = SCALAR_KINDS[f.type];
  if (kind === Kind.UINT64 || kind === Kind.INT64 || kind === Kind.SINT64) {
    return [[f.name, BigInt(d as number)]];
  }
  return [[f.name, d]];
}
