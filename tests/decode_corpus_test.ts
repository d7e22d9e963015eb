/**
 * Every image of the real CRIU corpus decodes to exactly what the real
 * `crit decode --pretty` printed for it (stored beside it in decoded/).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  decodeImageToJson,
  decodeImageToJsonText,
  type JsonValue,
  renderJson,
} from "../src/image/mod.ts";

const CORPUS = join(fileURLToPath(new URL("../..", import.meta.url)), "shared", "criu-corpus");

/** (scenario, image path, stored json path) for every decoded image. */
function corpusImages(): [string, string, string][] {
  const out: [string, string, string][] = [];
  for (const sc of [...Deno.readDirSync(CORPUS)].map((e) => e.name).sort()) {
    const decoded = join(CORPUS, sc, "decoded");
    let names: string[];
    try {
      names = [...Deno.readDirSync(decoded)].map((e) => e.name).filter((n) => n.endsWith(".json"));
    } catch {
      continue;
    }
    for (const n of names.sort()) {
      out.push([sc, join(CORPUS, sc, "images", n.slice(0, -5)), join(decoded, n)]);
    }
  }
  return out;
}

/** JSON.parse that keeps integers exact: every integer literal becomes a bigint. */
function parseExact(text: string): JsonValue {
  return JSON.parse(text, (_key, value, context?: { source: string }) => {
    if (typeof value === "number" && context && /^-?\d+$/.test(context.source)) {
      return BigInt(context.source);
    }
    return value;
  });
}

/** Our value with every integer as a bigint, to compare with {@link parseExact}. */
function integersAsBigint(v: JsonValue): JsonValue {
  if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
  if (Array.isArray(v)) return v.map(integersAsBigint);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, integersAsBigint(x)]));
  }
  return v;
}

let present = true;
try {
  Deno.statSync(CORPUS);
} catch {
  present = false;
  console.log(`SKIPPED: corpus not found at ${CORPUS}; the corpus decode tests did not run`);
}

Deno.test({
  name: "every corpus image decodes to the value crit --pretty printed",
  ignore: !present,
  fn() {
    const images = corpusImages();
    assert.ok(images.length >= 150, `only ${images.length} decoded images found`);
    const failed: string[] = [];
    for (const [sc, image, stored] of images) {
      const ours = integersAsBigint(decodeImageToJson(image, { pretty: true }));
      try {
        assert.deepStrictEqual(ours, parseExact(Deno.readTextFileSync(stored)));
      } catch (e) {
        failed.push(`${sc}/${image.split("/").pop()}: ${(e as Error).message.split("\n")[0]}`);
      }
    }
    console.log(`${images.length - failed.length} of ${images.length} corpus images match crit`);
    assert.deepStrictEqual(failed, []);
  },
});

Deno.test({
  name: "every corpus image renders to the same JSON text as crit --pretty",
  ignore: !present,
  fn() {
    const differ: string[] = [];
    for (const [sc, image, stored] of corpusImages()) {
      const text = renderJson(decodeImageToJson(image, { pretty: true }), true) + "\n";
      if (text !== Deno.readTextFileSync(stored)) differ.push(`${sc}/${image.split("/").pop()}`);
    }
    assert.deepStrictEqual(differ, []);
  },
});

Deno.test({
  name: "the decode command's direct text equals crit --pretty and the plain rendering",
  ignore: !present,
  fn() {
    const text = new TextDecoder();
    const differ: string[] = [];
    for (const [sc, image, stored] of corpusImages()) {
      const name = `${sc}/${image.split("/").pop()}`;
      if (
        text.decode(decodeImageToJsonText(image, true)) + "\n" !== Deno.readTextFileSync(stored)
      ) {
        differ.push(`${name} (pretty)`);
      }
      const plain = renderJson(decodeImageToJson(image, { pretty: false }), false);
      if (text.decode(decodeImageToJsonText(image, false)) !== plain) differ.push(name);
    }
    assert.deepStrictEqual(differ, []);
  },
});

Deno.test({
  name: "plain (not pretty) decoding keeps numbers and base64 like crit without --pretty",
  ignore: !present,
  fn() {
    const v = decodeImageToJson(join(CORPUS, "misc-fds", "images", "files.img"), { pretty: false });
    const entries = v.entries as { [k: string]: JsonValue }[];
    const sgfd = entries.find((e) => e.type === "SIGNALFD")?.sgfd as { [k: string]: JsonValue };
    assert.equal(sgfd.flags, 0x802);
    assert.equal(sgfd.sigmask, 0xa00n);
    assert.match(
      renderJson(v, false),
      /^\{"magic": "FILES", "entries": \[\{"type": "REG", "id": 1, /,
    );
  },
});
