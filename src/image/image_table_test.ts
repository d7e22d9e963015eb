import assert from "node:assert/strict";
import { readHeader } from "./framing.ts";
import { imageKind, type ImageRow, IMAGES, magicName } from "./image_table.ts";
import { imageFileName, type ImageName } from "./readers.ts";
import { messagePlan } from "./schema.ts";
import { CORPUS, haveCorpus, scenarios } from "../../tests/support/corpus.ts";

const ROWS = Object.entries(IMAGES) as [string, ImageRow][];
const SAMPLE = new URL("../../samples/sleeper/images/", import.meta.url).pathname;

Deno.test("every magic of the image table names one image", () => {
  for (const [name, row] of ROWS) assert.equal(magicName(row.magic), name);
});

Deno.test("every row's message is in the schema, with the fields its extras name", () => {
  for (const [name, row] of ROWS) {
    if (row.message === undefined) {
      assert.equal(row.files, undefined, `${name}: a file to read but no message`);
      continue;
    }
    const fields = new Set(messagePlan(row.message).fields.map((f) => f.name));
    for (const field of row.extra ?? []) assert.ok(fields.has(field), `${name}: no ${field}`);
    assert.equal(imageKind(name)?.message, row.message);
  }
});

/** Image files of real criu dumps: the sample, and the corpus when it is there. */
function realImageDirs(): string[] {
  const dirs = [SAMPLE];
  if (haveCorpus("image file names of the corpus")) {
    for (const s of scenarios()) dirs.push(`${CORPUS}/${s}/images/`);
  }
  return dirs;
}

Deno.test("the table's file names are those of real criu dumps, with their magics", () => {
  const patterns = ROWS.flatMap(([name, row]) =>
    (row.files ?? []).map((file) => {
      const [, reader, per] = /^(.*?)(?:-%([dx]))?$/.exec(file) as RegExpExecArray;
      const id = per === undefined ? "" : per === "d" ? "-(\\d+)" : "-([0-9a-f]+)";
      return { name, reader, per, re: new RegExp(`^${reader}${id}\\.img$`) };
    })
  );
  const seen = new Set<string>();
  for (const dir of realImageDirs()) {
    for (const e of Deno.readDirSync(dir)) {
      for (const p of patterns) {
        const m = p.re.exec(e.name);
        if (!m) continue;
        const bytes = Deno.readFileSync(dir + e.name);
        if (bytes.length > 0) assert.equal(readHeader(bytes, dir + e.name).name, p.name, e.name);
        const id = m[1] === undefined ? undefined : parseInt(m[1], p.per === "x" ? 16 : 10);
        assert.equal(imageFileName(p.reader as ImageName, id), e.name);
        seen.add(p.reader);
      }
    }
  }
  // The sample alone has these (criu 4.1.1 wrote it).
  for (
    const r of ["inventory", "pstree", "core", "ids", "fs", "mm", "pagemap", "fdinfo", "files"]
  ) {
    assert.ok(seen.has(r), `no ${r} image seen`);
  }
});
