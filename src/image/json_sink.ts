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

/** Text held before a drained sink starts writing: small images print all or nothing. */
export const HOLD_BYTES = 32 << 20;

const B64 = new TextEncoder().encode(
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
);

export class JsonSink {
  buf: Uint8Array;
  len = 0;
  /** Bumped at each drain: marks text positions remembered before it as gone. */
  drains = 0;

  /**
   * With `drain`, text over `hold` bytes is handed to it at each
   * {@link flush} and forgotten, so memory stays bounded whatever the output
   * size; without, the whole text stays in `buf`.
   */
  constructor(
    initial = 1 << 16,
    private readonly drain?: (text: Uint8Array) => void,
    private readonly hold = HOLD_BYTES,
  ) {
    this.buf = new Uint8Array(drain ? Math.min(initial, hold + (1 << 20)) : initial);
  }

  /**
   * Called where no earlier text is referred to any more: hands the text so
   * far to the drain once there is enough of it.
   */
  flush(): void {
    if (this.drain !== undefined && this.len >= this.hold) this.end();
  }

  /** Hands whatever text is left to the drain (nothing without one). */
  end(): void {
    if (this.drain === undefined || this.len === 0) return;
    this.drain(this.buf.subarray(0, this.len));
    this.len = 0;
    this.drains++;
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

  /**
   * Bytes as a quoted JSON string of Python's `base64.encodebytes` text
   * (76-character lines, each ending in an escaped newline), written straight
   * from the bytes and flushed as it goes: a 1 GB ghost file is never one string.
   */
  base64Lines(b: Uint8Array): void {
    this.room(1);
    this.buf[this.len++] = 0x22;
    for (let start = 0; start < b.length; start += 57 * 1024) {
      const stop = Math.min(b.length, start + 57 * 1024);
      this.room(((stop - start) / 57 + 1) * 78 + 4);
      const buf = this.buf;
      let len = this.len;
      for (let line = start; line < stop; line += 57) {
        const end = Math.min(stop, line + 57);
        let i = line;
        for (; i + 2 < end; i += 3) {
          const n = b[i] << 16 | b[i + 1] << 8 | b[i + 2];
          buf[len++] = B64[n >> 18];
          buf[len++] = B64[n >> 12 & 63];
          buf[len++] = B64[n >> 6 & 63];
          buf[len++] = B64[n & 63];
        }
        if (i < end) {
          const n = b[i] << 16 | (i + 1 < end ? b[i + 1] << 8 : 0);
          buf[len++] = B64[n >> 18];
          buf[len++] = B64[n >> 12 & 63];
          buf[len++] = i + 1 < end ? B64[n >> 6 & 63] : 0x3d;
          buf[len++] = 0x3d;
        }
        buf[len++] = 0x5c; // "\n"
        buf[len++] = 0x6e;
      }
      this.len = len;
      this.flush();
    }
    this.room(1);
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
