import assert from "node:assert/strict";
import { ImageError } from "../image/mod.ts";
import { directorySource } from "./source.ts";

Deno.test("readRaw of a pages image the pagemap names but the dump lacks is an ImageError", () => {
  const dir = Deno.makeTempDirSync();
  try {
    assert.throws(() => directorySource(dir).readRaw("pages-6.img", 0, 4096), (e) => {
      assert.ok(e instanceof ImageError);
      assert.equal(e.message, "cannot read pages-6.img: ENOENT (No such file or directory)");
      return true;
    });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("readRaw allocates for what the file holds, not for a length from an image", () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeFileSync(`${dir}/pages-1.img`, new Uint8Array([1, 2, 3, 4]));
    const src = directorySource(dir);
    assert.deepEqual(src.readRaw("pages-1.img", 1, 2 ** 40), new Uint8Array([2, 3, 4]));
    assert.equal(src.readRaw("pages-1.img", 2 ** 50, 8).length, 0);
    assert.equal(src.readRaw("pages-1.img", -5, 8).length, 0);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("readRaw refuses a FIFO in place of a pages image instead of blocking on it", () => {
  const dir = Deno.makeTempDirSync();
  try {
    new Deno.Command("mkfifo", { args: [`${dir}/pages-1.img`] }).outputSync();
    assert.throws(() => directorySource(dir).readRaw("pages-1.img", 0, 4096), {
      name: "ImageError",
      message: "cannot read pages-1.img: the image is a FIFO, not a regular file " +
        "(criu writes images as regular files)",
    });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
