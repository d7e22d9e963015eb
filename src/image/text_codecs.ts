/** Byte → text encodings that crit uses in its JSON. */

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Python's `base64.encodebytes`: 76-character lines, each ending in "\n". */
export function base64Lines(bytes: Uint8Array): string {
  const out: string[] = [];
  for (let start = 0; start < bytes.length; start += 57) {
    out.push(base64(bytes.subarray(start, Math.min(start + 57, bytes.length))), "\n");
  }
  return out.join("");
}

function base64(b: Uint8Array): string {
  let s = "";
  let i = 0;
  for (; i + 2 < b.length; i += 3) {
    const n = b[i] << 16 | b[i + 1] << 8 | b[i + 2];
    s += B64[n >> 18] + B64[n >> 12 & 63] + B64[n >> 6 & 63] + B64[n & 63];
  }
  if (i + 1 === b.length) {
    const n = b[i] << 16;
    s += B64[n >> 18] + B64[n >> 12 & 63] + "==";
  } else if (i + 2 === b.length) {
    const n = b[i] << 16 | b[i + 1] << 8;
    s += B64[n >> 18] + B64[n >> 12 & 63] + B64[n >> 6 & 63] + "=";
  }
  return s;
}

const MAX_LINE = 76;
const HEX = "0123456789ABCDEF";

/**
 * Python's `quopri.encodestring` (binascii.b2a_qp, text mode, no tab quoting),
 * which crit applies to unix socket names.
 */
export function quotedPrintable(data: Uint8Array): string {
  const n = data.length;
  const nl = data.indexOf(0x0a);
  const crlf = nl > 0 && data[nl - 1] === 0x0d;
  const eol = crlf ? "\r\n" : "\n";
  let out = "";
  let lineLen = 0;
  for (let i = 0; i < n;) {
    const c = data[i];
    const last = i + 1 === n;
    const next = last ? -1 : data[i + 1];
    const mustQuote = c > 126 || c === 0x3d ||
      (c === 0x2e && lineLen === 0 && (last || next === 0x0a || next === 0x0d || next === 0)) ||
      ((c === 0x09 || c === 0x20) && last) ||
      (c < 33 && c !== 0x0d && c !== 0x0a && c !== 0x09 && c !== 0x20);
    if (mustQuote) {
      if (lineLen + 3 >= MAX_LINE) {
        out += "=" + eol;
        lineLen = 0;
      }
      out += "=" + HEX[c >> 4] + HEX[c & 15];
      lineLen += 3;
      i++;
    } else if (c === 0x0a || (c === 0x0d && !last && next === 0x0a)) {
      lineLen = 0;
      const prev = out.charCodeAt(out.length - 1);
      if (out.length > 0 && (prev === 0x20 || prev === 0x09)) {
        out = out.slice(0, -1) + "=" + HEX[prev >> 4] + HEX[prev & 15]; // no blank at line end
      }
      out += eol;
      i += c === 0x0d ? 2 : 1;
    } else {
      if (!last && next !== 0x0a && lineLen + 1 >= MAX_LINE) {
        out += "=" + eol;
        lineLen = 0;
      }
      lineLen++;
      out += String.fromCharCode(c);
      i++;
    }
  }
  return out;
}
