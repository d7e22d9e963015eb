/**
 * A growable byte buffer for JSON text as Python's `json.dumps` writes it with
 * `ensure_ascii` (what crit prints): every byte is ASCII, so text is written
 * as bytes directly, never through intermediate JS strings.
 */

const HEX = "0123456789abcdef";
const DIGITS = new Uint8Array(20);

/** Byte of each ASCII code that may be copied into a JSON string as it is. */
export const PLAIN = new Uint8Array(128).map((_, c) =>
  c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c ? 1 : 0
);

export class JsonSink {
  buf: Uint8Array;
  len = 0;

  constructor(initial = 1 << 16) {
    this.buf = new Uint8Array(initial);
  }

  /** The text so far (a view: valid until the next write). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  /** Makes room for n more bytes. */
  room(n: number): void {
    if (this.len + n > this.buf.length) this.grow(n);
  }

  private grow(n: number): void {
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    bigger.set(this.buf.subarray(0, this.len));
    this.buf = bigger;
  }

  /** Bytes already encoded (keys, indentation). */
  raw(b: Uint8Array): void {
    const n = b.length;
    this.room(n);
    if (n > 64) {
      this.buf.set(b, this.len);
      this.len += n;
      return;
    }
    const buf = this.buf; // short pieces: a loop beats TypedArray.set's call overhead
    let len = this.len;
    for (let i = 0; i < n; i++) buf[len++] = b[i];
    this.len = len;
  }

  /** An ASCII string as it is (numbers, punctuation, hex). */
  ascii(s: string): void {
    this.room(s.length);
    const buf = this.buf;
    let len = this.len;
    for (let i = 0; i < s.length; i++) buf[len++] = s.charCodeAt(i);
    this.len = len;
  }

  /** A non-negative integer below 2^53. */
  uint(n: number): void {
    this.room(20);
    if (n < 100) {
      if (n >= 10) {
        const q = (n / 10) | 0;
        this.buf[this.len++] = 48 + q;
        n -= q * 10;
      }
      this.buf[this.len++] = 48 + n;
      return;
    }
    let i = 0;
    while (n > 0x7fffffff) {
      const q = Math.floor(n / 10);
      DIGITS[i++] = 48 + n - q * 10;
      n = q;
    }
    while (n > 0) {
      const q = (n / 10) | 0;
      DIGITS[i++] = 48 + n - q * 10;
      n = q;
    }
    const buf = this.buf;
    let len = this.len;
    while (i > 0) buf[len++] = DIGITS[--i];
    this.len = len;
  }

  /** Any integer number. */
  int(n: number): void {
    if (n < 0) {
      this.room(1);
      this.buf[this.len++] = 0x2d;
      this.uint(-n);
    } else this.uint(n);
  }

  /** A JS string as a quoted JSON string, escaped like Python (ensure_ascii). */
  quoted(s: string): void {
    this.room(s.length + 2);
    this.buf[this.len++] = 0x22;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 128 && PLAIN[c] === 1) {
        this.buf[this.len++] = c;
      } else {
        this.escape(c);
        this.room(s.length - i + 1);
      }
    }
    this.buf[this.len++] = 0x22;
  }

  /** UTF-16 code unit c, escaped. */
  escape(c: number): void {
    let e: string;
    switch (c) {
      case 0x22:
        e = '\\"';
        break;
      case 0x5c:
        e = "\\\\";
        break;
      case 0x0a:
        e = "\\n";
        break;
      case 0x0d:
        e = "\\r";
        break;
      case 0x09:
        e = "\\t";
        break;
      case 0x08:
        e = "\\b";
        break;
      case 0x0c:
        e = "\\f";
        break;
      default:
        e = "\\u" + HEX[c >> 12] + HEX[(c >> 8) & 15] + HEX[(c >> 4) & 15] + HEX[c & 15];
    }
    this.ascii(e);
  }
}

const indents: Uint8Array[] = [];
const encoder = new TextEncoder();

/** "\n" and 4 spaces per level, encoded once per depth. */
export function indentBytes(depth: number): Uint8Array {
  return indents[depth] ??= encoder.encode("\n" + "    ".repeat(depth));
}
