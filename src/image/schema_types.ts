/**
 * The schema's shape: what scripts/compile_schema.ts makes of proto/ with
 * protobufjs, and what schema.ts and wire_plan.ts read. Types only, apart
 * from schema.ts, so that the plans need not import what builds them.
 */

export type OptionValue = string | number | boolean;

export interface ProtoField {
  readonly name: string;
  readonly id: number;
  readonly label: "required" | "optional" | "repeated";
  /** A scalar name, or the full name of a message or enum. */
  readonly type: string;
  /** Options by name as protobufjs keys them: "default", "packed", "(view).hex". */
  readonly options: Readonly<Record<string, OptionValue>>;
}

export interface ProtoMessage {
  /** Full dotted name: "core_entry", "core_entry.march". */
  readonly fullName: string;
  readonly name: string;
  readonly fields: readonly ProtoField[];
}

export interface ProtoEnum {
  readonly fullName: string;
  readonly name: string;
  /** Value names by number (the last name wins for aliases), and numbers by name. */
  readonly byNumber: Readonly<Record<number, string>>;
  readonly byName: Readonly<Record<string, number>>;
}

export interface ProtoSchema {
  readonly messages: ReadonlyMap<string, ProtoMessage>;
  readonly enums: ReadonlyMap<string, ProtoEnum>;
}
