/**
 * JSON text the way Python's `json.dump` writes it (what crit prints):
 * ASCII-only escapes, ", " and ": " separators, 4-space indent when pretty,
 * and bigints written with all their digits.
 */

/** A JSON value whose integers may be bigints. */
export type JsonValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

/** Renders `value` like `json.dumps(value, indent=4 if pretty else None)`. */
export function renderJson(value: JsonValue, pretty: boolean): string {
  const parts: string[] = [];
  write(value, pretty ? "\n" : "", pretty, parts);
  return parts.join("");
}

function write(v: JsonValue, nl: string, pretty: boolean, out: string[]): void {
  if (v === null) out.push("null");
  else if (typeof v === "string") out.push(quote(v));
  else if (typeof v === "number") out.push(Number.isInteger(v) ? String(v) : pyFloat(v));
  else if (typeof v === "bigint" || typeof v === "boolean") out.push(String(v));
  else if (Array.isArray(v)) {
    if (v.length === 0) return void out.push("[]");
    const inner = pretty ? nl + "    " : "";
    out.push("[");
    v.forEach((item, i) => {
      out.push(i === 0 ? inner : (pretty ? "," : ", ") + inner);
      write(item, inner, pretty, out);
    });
    out.push(nl + "]");
  } else {
    const keys = Object.keys(v);
    if (keys.length === 0) return void out.push("{}");
    const inner = pretty ? nl + "    " : "";
    out.push("{");
    keys.forEach((k, i) => {
      out.push(i === 0 ? inner : (pretty ? "," : ", ") + inner, quote(k), ": ");
      write(v[k], inner, pretty, out);
    });
    out.push(nl + "}");
  }
}

function pyFloat(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "Infinity" : "-Infinity";
  return String(v);
}

const ESCAPES: Record<string, string> = {
  '"': '\\"',
  "\\": "\\\\",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\b": "\\b",
  "\f": "\\f",
};

// Python escapes everything outside " ".."~" (ensure_ascii=True).
// deno-lint-ignore no-control-regex
const NEEDS_ESCAPE = /[\\"\u0000-\u001f\u007f-\uffff]/g;

function quote(s: string): string {
  return '"' +
    s.replace(
      NEEDS_ESCAPE,
      (c) => ESCAPES[c] ?? "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"),
    ) + '"';
}
