import assert from "node:assert/strict";
import * as node from "node:path";
import { fileURLToPath } from "node:url";
import { basename, dirname, fileUrlToPath, join, normalize, resolve } from "./path.ts";

const PATHS = [
  "",
  ".",
  "..",
  "/",
  "//",
  "a",
  "a/",
  "/a",
  "/a/",
  "a/b",
  "/a/b/",
  "a//b",
  "./a",
  "../a",
  "a/../..",
  "/..",
  "/a/./b/../c",
  "images/files.img",
  "/tmp/x y/ünï.img",
  "a/b//",
  "../../x/",
  "/a//b",
  "//a",
  "a/b//c//",
];

Deno.test("the path helpers give what node:path gives", () => {
  for (const p of PATHS) {
    assert.equal(normalize(p), node.normalize(p), `normalize ${JSON.stringify(p)}`);
    assert.equal(basename(p), node.basename(p), `basename ${JSON.stringify(p)}`);
    assert.equal(dirname(p), node.dirname(p), `dirname ${JSON.stringify(p)}`);
    assert.equal(resolve(p), node.resolve(p), `resolve ${JSON.stringify(p)}`);
    for (const q of PATHS) {
      assert.equal(join(p, q), node.join(p, q), `join ${JSON.stringify([p, q])}`);
      assert.equal(resolve(p, q), node.resolve(p, q), `resolve ${JSON.stringify([p, q])}`);
    }
  }
  assert.equal(join(), node.join());
  assert.equal(join("a", "b", "../c"), node.join("a", "b", "../c"));
});

Deno.test("fileUrlToPath reads a file URL like node:url", () => {
  for (const u of ["file:///tmp/a%20b/main.ts", "file:///work/main/main.ts"]) {
    assert.equal(fileUrlToPath(u), fileURLToPath(u));
  }
  assert.throws(() => fileUrlToPath("https://example.com/x"), TypeError);
});
