import assert from "node:assert/strict";
import { ImageError } from "../image/mod.ts";
import { gzip, tarBytes } from "../../tests/support/tar_fixture.ts";
import { indexTarFile, indexTarStream, LIMITS } from "./tar_index.ts";
import { openArchive } from "./archive_source.ts";
import { noLeak } from "../sys/_testing.ts";

const enc = new TextEncoder();
const many = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ name: `f${i}`, data: enc.encode("x") }));

function withFile<T>(bytes: Uint8Array, fn: (path: string) => T): T {
  const path = Deno.makeTempFileSync({ suffix: ".tar" });
  Deno.writeFileSync(path, bytes);
  try {
    return fn(path);
  } finally {
    Deno.removeSync(path);
  }
}

Deno.test("a tar with more members than the limit is refused as a tar bomb", () => {
  withFile(tarBytes(many(20)), (path) => {
    using file = Deno.openSync(path);
    assert.throws(
      () => indexTarFile(file, path, { ...LIMITS, members: 10 }),
      (e) =>
        e instanceof ImageError && /more than 10 members; refused as a tar bomb/.test(e.message),
    );
  });
});

Deno.test("a gzip stream that inflates past the total limit stops with one error", async () => {
  const big = [{ name: "pages-1.img", data: new Uint8Array(1 << 20) }];
  const gz = await gzip(tarBytes(big));
  assert.ok(gz.length < 10_000, "a million zeros compress to little: the bomb shape");
  const stream = new Blob([gz.slice()]).stream().pipeThrough(new DecompressionStream("gzip"));
  await assert.rejects(
    indexTarStream(stream, "bomb.tar.gz", () => false, { ...LIMITS, total: 1 << 19 }),
    (e) => e instanceof ImageError && /refused as a tar bomb/.test(e.message),
  );
});

Deno.test("a gzip archive keeps images but not memory pages beyond the budget", async () => {
  const members = [
    { name: "checkpoint/inventory.img", data: enc.encode("inv") },
    { name: "checkpoint/pages-1.img", data: new Uint8Array(8192) },
  ];
  const path = Deno.makeTempFileSync({ suffix: ".tar.gz" });
  Deno.writeFileSync(path, await gzip(tarBytes(members)));
  try {
    const kept = await openArchive(path);
    assert.equal(kept.pagesDropped, false);
    assert.equal(kept.source.readRaw("pages-1.img", 4096, 10).length, 10);
    const dropped = await openArchive(path, { pagesBudget: 4096 });
    assert.equal(dropped.pagesDropped, true);
    assert.deepEqual(dropped.member("checkpoint/inventory.img"), enc.encode("inv"));
    assert.throws(() => dropped.source.readRaw("pages-1.img", 0, 10), /not kept/);
  } finally {
    Deno.removeSync(path);
  }
});

Deno.test("a plain tar reads a member's bytes from the file, not from memory", async () => {
  const members = [
    { name: "./checkpoint/inventory.img", data: enc.encode("inv") },
    { name: "checkpoint/pages-1.img", data: enc.encode("0123456789") },
  ];
  await withFile(tarBytes(members), async (path) => {
    const a = await openArchive(path);
    try {
      assert.equal(a.prefix, "checkpoint/");
      assert.deepEqual(a.names(), ["inventory.img", "pages-1.img"]);
      assert.equal(new TextDecoder().decode(a.source.readRaw("pages-1.img", 3, 4)), "3456");
      assert.equal(a.source.readRaw("pages-1.img", 8, 100).length, 2);
    } finally {
      a.close();
    }
  });
});

Deno.test("a compressed archive refused early, cut or corrupt is one ImageError, every fd closed when it returns", async () => {
  const { zstdCompressSync } = await import("node:zlib");
  const noise = () => crypto.getRandomValues(new Uint8Array(20000)); // compresses to no less
  const tar = tarBytes([
    { name: "checkpoint/inventory.img", data: new Uint8Array(4) },
    ...many(40).map((m) => ({ ...m, data: noise() })),
  ]);
  const badHeader = tar.slice();
  badHeader[0] ^= 1; // the first header's checksum no longer holds: refused at once
  const zst = (b: Uint8Array) => new Uint8Array(zstdCompressSync(b));
  const gz = await gzip(tar);
  const cases = [
    zst(badHeader),
    await gzip(badHeader),
    zst(tar).subarray(0, 300_000),
    gz.subarray(0, 300_000),
    // inside a member: only the check of the whole stream sees it
    gz.map((b, i) => i === gz.length >> 1 ? b ^ 0x10 : b),
  ];
  for (const bytes of cases) {
    await withFile(bytes, async (path) => {
      await noLeak(() =>
        assert.rejects(
          openArchive(path),
          (e) => e instanceof ImageError && e.message.includes(path),
        )
      );
    });
  }
  // A whole archive: the file is closed once indexed, before close() is called.
  for (const bytes of [zst(tar), gz]) {
    await withFile(bytes, async (path) => {
      await noLeak(async () => void (await openArchive(path)).close());
    });
  }
  // An inflater stopped by a refusal must not fail later, outside any caller.
  await new Promise((ok) => setTimeout(ok, 100));
});
