import assert from "node:assert/strict";
import { EXIT } from "../errors.ts";
import { COMMANDS, OPTIONS, usageText } from "./usage.ts";

const TOPICS = [undefined, ...COMMANDS];

for (const topic of TOPICS) {
  Deno.test(`the ${topic ?? "global"} help fits in 80 columns and ends with a newline`, () => {
    const text = usageText(topic);
    assert.ok(text.endsWith("\n"));
    for (const line of text.split("\n")) assert.ok(line.length <= 80, `too long: ${line}`);
  });

  Deno.test(`the ${topic ?? "global"} help lists every exit code of EXIT`, () => {
    const text = usageText(topic);
    for (const code of Object.values(EXIT)) {
      assert.match(text, new RegExp(`^  ${code} +\\S`, "m"), `exit code ${code}`);
    }
  });
}

Deno.test("the global help shows every option with its example", () => {
  const text = usageText();
  for (const o of OPTIONS) {
    assert.ok(text.includes(`--${o.long}`), o.long);
    assert.ok(text.includes(`e.g. ${o.example}`), `${o.long}: ${o.example}`);
  }
});

Deno.test("a command's help shows only the options of that command", () => {
  const show = usageText("show");
  assert.ok(show.includes("--json"));
  assert.ok(!show.includes("--pidfile"));
  assert.ok(!show.includes("Finding the right --inherit-fd key"));
  const decode = usageText("decode");
  assert.match(decode, /^ {2}-o, --out FILE/m);
  assert.match(decode, /^ {6}--log-file FILE/m);
  assert.match(usageText("restore"), /^ {2}-o, --log-file FILE/m);
});

Deno.test("restore help teaches how to find an --inherit-fd key", () => {
  const text = usageText("restore");
  for (
    const part of [
      "Finding the right --inherit-fd key",
      "readlink /proc/PID/fd/1  ->  pipe:[153122]",
      "fdrestore show -D DIR",
      "WITHOUT its leading slash",
      "pipe[123]",
      "-- PROGRAM ARGS...",
    ]
  ) {
    assert.ok(text.includes(part), part);
  }
});

Deno.test("an unknown topic gives the global help", () => {
  assert.equal(usageText("nope"), usageText());
});
