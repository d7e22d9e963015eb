/**
 * A parser for the subset of proto2 that our own `proto/*.proto` files use:
 * messages (nested), enums (nested), fields with a label, a type, a number and
 * `[default = ..]`, `[packed = ..]` or `(ext).name = ..` options, `import`,
 * `syntax` and `extend` blocks (read and ignored: options are kept by name).
 * Anything else is refused, so a schema change that needs more says so.
 * It exists so that decoding never loads a general protobuf library.
 */

export type OptionValue = string | number | boolean;

export interface ProtoField {
  readonly name: string;
  readonly id: number;
  readonly label: "required" | "optional" | "repeated";
  /** The type as written: a scalar name, or a message/enum name to resolve. */
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

/** A schema text we cannot read; `line` is 1-based in that source. */
export class ProtoSyntaxError extends Error {
  constructor(message: string, readonly source: number, readonly line: number) {
    super(`proto source ${source}, line ${line}: ${message}`);
    this.name = "ProtoSyntaxError";
  }
}

const LABELS = new Set(["required", "optional", "repeated"]);
// A line comment, a (dotted) name, a number, a string, or any other single character.
const TOKEN = /\/\/.*|\.?[A-Za-z_][\w.]*|-?\d[\w.]*|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|\S/g;

interface Token {
  readonly text: string;
  readonly line: number;
}

// Line by line: one global match per line is much cheaper at start-up than a sticky scanner.
function tokenize(src: string): Token[] {
  const out: Token[] = [];
  const lines = src.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const found = lines[i].match(TOKEN);
    if (found === null) continue;
    for (const text of found) if (!text.startsWith("//")) out.push({ text, line: i + 1 });
  }
  return out;
}

/** Parses every source (in any order) into one schema with resolved type names. */
export function parseProto(sources: readonly string[]): ProtoSchema {
  const messages = new Map<string, ProtoMessage>();
  const enums = new Map<string, ProtoEnum>();
  sources.forEach((src, i) => new Parser(tokenize(src), i, messages, enums).file());
  const resolved = new Map<string, ProtoMessage>();
  for (const m of messages.values()) {
    const fields = m.fields.map((f) =>
      SCALARS.has(f.type) ? f : { ...f, type: resolve(f.type, m.fullName, messages, enums) }
    );
    resolved.set(m.fullName, { ...m, fields });
  }
  return { messages: resolved, enums };
}

/** Scalar type names of proto2. */
export const SCALARS: ReadonlySet<string> = new Set([
  "double",
  "float",
  "int32",
  "int64",
  "uint32",
  "uint64",
  "sint32",
  "sint64",
  "fixed32",
  "fixed64",
  "sfixed32",
  "sfixed64",
  "bool",
  "string",
  "bytes",
]);

// Looks a name up from the innermost scope outwards, as protoc does.
function resolve(
  name: string,
  scope: string,
  messages: ReadonlyMap<string, ProtoMessage>,
  enums: ReadonlyMap<string, ProtoEnum>,
): string {
  const bare = name.startsWith(".") ? name.slice(1) : name;
  for (
    let s = name.startsWith(".") ? "" : scope;;
    s = s.slice(0, Math.max(0, s.lastIndexOf(".")))
  ) {
    const full = s === "" ? bare : `${s}.${bare}`;
    if (messages.has(full) || enums.has(full)) return full;
    if (s === "") break;
  }
  throw new Error(`unresolved type ${name} in ${scope}`);
}

class Parser {
  private at = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly source: number,
    private readonly messages: Map<string, ProtoMessage>,
    private readonly enums: Map<string, ProtoEnum>,
  ) {}

  file(): void {
    while (this.at < this.tokens.length) {
      const word = this.next();
      if (word === "syntax") {
        this.expect("=");
        const value = this.string();
        if (value !== "proto2") this.fail(`syntax "${value}" (only proto2)`);
        this.expect(";");
      } else if (word === "import") {
        this.string(); // every file is parsed together; imports add nothing
        this.expect(";");
      } else if (word === "message") this.message("");
      else if (word === "enum") this.enum("");
      else if (word === "extend") this.skipBlock();
      else this.fail(`unsupported statement "${word}"`);
    }
  }

  private message(scope: string): void {
    const name = this.ident();
    const fullName = scope === "" ? name : `${scope}.${name}`;
    const fields: ProtoField[] = [];
    this.expect("{");
    while (this.peek() !== "}") {
      const word = this.next();
      if (word === "message") this.message(fullName);
      else if (word === "enum") this.enum(fullName);
      else if (word === ";") continue;
      else if (LABELS.has(word)) fields.push(this.field(word as ProtoField["label"]));
      else this.fail(`unsupported "${word}" in message ${fullName}`);
    }
    this.expect("}");
    this.define(fullName);
    this.messages.set(fullName, { fullName, name, fields });
  }

  private field(label: ProtoField["label"]): ProtoField {
    const type = this.ident();
    const name = this.ident();
    this.expect("=");
    const id = this.number();
    if (!Number.isInteger(id) || id < 1 || id > 0x1fffffff) this.fail(`bad field number ${id}`);
    const options: Record<string, OptionValue> = {};
    if (this.peek() === "[") {
      this.next();
      do {
        const key = this.optionName();
        this.expect("=");
        options[key] = this.value();
      } while (this.accept(","));
      this.expect("]");
    }
    this.expect(";");
    return { name, id, label, type, options };
  }

  private optionName(): string {
    if (!this.accept("(")) return this.ident();
    const ext = this.ident();
    this.expect(")");
    const rest = this.peek()?.startsWith(".") ? this.next() : "";
    return `(${ext})${rest}`;
  }

  private enum(scope: string): void {
    const name = this.ident();
    const fullName = scope === "" ? name : `${scope}.${name}`;
    const byNumber: Record<number, string> = {};
    const byName: Record<string, number> = {};
    this.expect("{");
    while (!this.accept("}")) {
      if (this.accept(";")) continue;
      const value = this.ident();
      this.expect("=");
      const n = this.number();
      if (!Number.isInteger(n)) this.fail(`bad enum value ${n}`);
      this.expect(";");
      byName[value] = n;
      byNumber[n] = value;
    }
    this.define(fullName);
    this.enums.set(fullName, { fullName, name, byNumber, byName });
  }

  private define(fullName: string): void {
    if (this.messages.has(fullName) || this.enums.has(fullName)) {
      this.fail(`duplicate name ${fullName}`);
    }
  }

  private value(): OptionValue {
    const t = this.next();
    if (t.startsWith('"') || t.startsWith("'")) return unquote(t);
    if (t === "true") return true;
    if (t === "false") return false;
    if (isNumber(t)) return parseNumber(t);
    if (isName(t)) return t; // an enum value name
    return this.fail(`bad option value "${t}"`);
  }

  private number(): number {
    const t = this.next();
    if (!isNumber(t)) this.fail(`expected a number, got "${t}"`);
    return parseNumber(t);
  }

  private string(): string {
    const t = this.next();
    if (!t.startsWith('"') && !t.startsWith("'")) this.fail(`expected a string, got "${t}"`);
    return unquote(t);
  }

  private ident(): string {
    const t = this.next();
    if (!isName(t)) this.fail(`expected a name, got "${t}"`);
    return t;
  }

  private skipBlock(): void {
    this.ident();
    this.expect("{");
    for (let depth = 1; depth > 0;) {
      const t = this.next();
      if (t === "{") depth++;
      else if (t === "}") depth--;
    }
  }

  private peek(): string | undefined {
    return this.tokens[this.at]?.text;
  }

  private next(): string {
    const t = this.tokens[this.at++];
    if (t === undefined) return this.fail("unexpected end of text");
    return t.text;
  }

  private accept(text: string): boolean {
    if (this.peek() !== text) return false;
    this.at++;
    return true;
  }

  private expect(text: string): void {
    const t = this.next();
    if (t !== text) this.fail(`expected "${text}", got "${t}"`);
  }

  private fail(message: string): never {
    const tok = this.tokens[Math.min(this.at, this.tokens.length) - 1];
    throw new ProtoSyntaxError(message, this.source, tok?.line ?? 1);
  }
}

// Tokens are told apart by their first characters (the tokenizer made them whole).
function isName(t: string): boolean {
  const c = t.charCodeAt(t.charCodeAt(0) === 0x2e ? 1 : 0) | 0x20; // after a ".", lower-cased
  return (c >= 0x61 && c <= 0x7a) || c === 0x7f; // a-z, or "_" (0x5f | 0x20)
}

function isNumber(t: string): boolean {
  const c = t.charCodeAt(t.charCodeAt(0) === 0x2d ? 1 : 0);
  return c >= 0x30 && c <= 0x39;
}

function parseNumber(t: string): number {
  const neg = t.startsWith("-");
  const body = neg ? t.slice(1) : t;
  let n: number;
  if (/^0[xX]/.test(body)) n = parseInt(body.slice(2), 16);
  else if (/^0[0-7]+$/.test(body)) n = parseInt(body, 8);
  else n = Number(body);
  return neg ? -n : n;
}

function unquote(t: string): string {
  return t.slice(1, -1).replace(
    /\\(.)/g,
    (_, c: string) => c === "n" ? "\n" : c === "t" ? "\t" : c,
  );
}
