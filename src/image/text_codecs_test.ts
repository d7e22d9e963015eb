import assert from "node:assert/strict";
import { base64Lines, quotedPrintable } from "./text_codecs.ts";
import { renderJson } from "./json_render.ts";
import { devText, FLAG_TABLES, flagsText, ipText } from "./crit_tables.ts";

Deno.test("base64Lines breaks every 76 characters like Python's encodebytes", () => {
  assert.equal(base64Lines(new Uint8Array(0)), "");
  assert.equal(base64Lines(new Uint8Array([104, 105])), "aGk=\n");
  const text = base64Lines(new Uint8Array(58));
  assert.equal(text, "A".repeat(76) + "\n" + "AA==\n");
});

Deno.test("quotedPrintable escapes NULs, '=' and a trailing space like quopri", () => {
  assert.equal(quotedPrintable(new TextEncoder().encode("\0abstract=x ")), "=00abstract=3Dx=20");
  assert.equal(quotedPrintable(new TextEncoder().encode("/tmp/sock")), "/tmp/sock");
});

Deno.test("renderJson writes Python's json.dumps text, bigints in full", () => {
  assert.equal(
    renderJson({ a: [1, 18446744073709551615n], b: {}, c: "é\n" }, false),
    '{"a": [1, 18446744073709551615], "b": {}, "c": "\\u00e9\\n"}',
  );
  assert.equal(renderJson({ a: [true] }, true), '{\n    "a": [\n        true\n    ]\n}');
});

Deno.test("pretty helpers name flags, devices and addresses like crit", () => {
  assert.equal(flagsText(0, FLAG_TABLES["rfile.flags"]), "");
  assert.equal(
    flagsText(0o102001 | 0x10000000, FLAG_TABLES["rfile.flags"]),
    "O_WRONLY | O_APPEND | O_LARGEFILE | 0x10000000",
  );
  assert.equal(devText((136 << 20) | 3, false), "136:3");
  assert.equal(devText((5 << 8) | 2, true), "5:2");
  assert.equal(ipText([0x0100007f]), "127.0.0.1");
  assert.equal(ipText([0, 0, 0, 0x01000000]), "::1");
  assert.equal(ipText([0, 0, 0, 0]), "::");
});
