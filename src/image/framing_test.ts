import assert from "node:assert/strict";
import { ImageError } from "./image_error.ts";
import { decodeImageBytes, readImageFile } from "./image_file.ts";
import { readEntries } from "./readers.ts";
import { encodeEntry, encodeImage, frameImage } from "../../tests/support/image_writer.ts";
import { EXIT } from "../errors.ts";

const FOWN = { uid: 0, euid: 0, signum: 0, pid_type: 0, pid: 0 };
const fdinfo = (fd: number) => ({ id: fd, flags: 0, type: 1, fd });

function inDir(files: Record<string, Uint8Array>): string {
  const dir = Deno.makeTempDirSync();
  for (const [n, b] of Object.entries(files)) Deno.writeFileSync(`${dir}/${n}`, b);
  return dir;
}

function imageError(fn: () => unknown): ImageError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ImageError, `not an ImageError: ${e}`);
    assert.equal(e.exitCode, EXIT.IMAGE);
    assert.ok(!e.message.includes("\n"), "message is one line");
    return e;
  }
  assert.fail("no error thrown");
}

Deno.test("a v1.1 image with the common head magic decodes", () => {
  const img = decodeImageBytes(encodeImage("FDINFO", [fdinfo(0), fdinfo(1)]), "fdinfo-1.img");
  assert.equal(img.kind, "FDINFO");
  assert.equal(img.head, 0x54564319);
  assert.deepEqual(img.entries, [fdinfo(0), fdinfo(1)]);
});

Deno.test("a v1 image without head magic is accepted by the typed readers too", () => {
  const dir = inDir({ "fdinfo-3.img": encodeImage("FDINFO", [fdinfo(4)], { head: "none" }) });
  assert.deepEqual(readEntries(dir, "fdinfo", 3), [fdinfo(4)]);
  assert.equal(decodeImageBytes(encodeImage("FDINFO", [], { head: "none" }), "x").head, undefined);
});

Deno.test("inventory has no head magic and service images use the service head", () => {
  const inv = encodeImage("INVENTORY", [{ img_version: 2, fdinfo_per_id: true }]);
  assert.deepEqual([...inv.subarray(0, 4)], [0x16, 0x31, 0x31, 0x58]);
  const dir = inDir({
    "inventory.img": inv,
    "stats.img": encodeImage("STATS", [{}]),
  });
  assert.deepEqual(readEntries(dir, "inventory"), [{ img_version: 2, fdinfo_per_id: true }]);
  const stats = decodeImageBytes(Deno.readFileSync(`${dir}/stats.img`), "stats-dump");
  assert.equal(stats.head, 0x55105940);
  assert.equal(stats.kind, "STATS");
});

Deno.test("a wrong head magic is refused with CRIU's words", () => {
  const bytes = encodeImage("FDINFO", [], { head: 0x11111111 });
  const dir = inDir({ "fdinfo-1.img": bytes });
  const e = imageError(() => readEntries(dir, "fdinfo", 1));
  assert.match(e.message, /^Head magic doesn't match for .*fdinfo-1\.img: found 0x11111111/);
  assert.equal(e.entry, -1);
  const svc = imageError(() =>
    decodeImageBytes(encodeImage("FILES", [], { head: 0x55105940 }), "files.img")
  );
  assert.match(svc.message, /^Head magic doesn't match for files\.img/);
});

Deno.test("a wrong image magic is refused, and a byte-swapped one is called big-endian", () => {
  const dir = inDir({ "files.img": encodeImage("FDINFO", []) });
  const e = imageError(() => readEntries(dir, "files"));
  assert.match(
    e.message,
    /^Magic doesn't match for .*files\.img: found 0x56213732, expected 0x56303138 \(FILES\) at offset 0x4$/,
  );
  assert.equal(e.offset, 4);
  const swapped = imageError(() =>
    decodeImageBytes(encodeImage("FILES", [], { magic: 0x38313056 }), "f.img")
  );
  assert.match(swapped.message, /byte-swapped/);
  const unknown = imageError(() =>
    decodeImageBytes(encodeImage("FILES", [], { magic: 0x12345678 }), "f.img")
  );
  assert.match(unknown.message, /^Magic doesn't match for f\.img: unknown magic 0x12345678/);
});

Deno.test("a known image we do not decode is named, not rejected", () => {
  const img = decodeImageBytes(frameImage("IPCNS_SHM", []), "ipcns-shm-1.img");
  assert.equal(img.kind, "IPCNS_SHM");
  assert.equal(img.decoded, false);
});

Deno.test("a missing or empty image reads as zero entries, an absent path to decode is an error", () => {
  const dir = inDir({ "pipes-data.img": new Uint8Array(0) });
  assert.deepEqual(readEntries(dir, "fdinfo", 9), []);
  assert.deepEqual(readEntries(dir, "pipes-data"), []);
  assert.deepEqual(decodeImageBytes(encodeImage("FILES", []), "files.img").entries, []);
  const e = imageError(() => readImageFile(`${dir}/nope.img`));
  assert.match(e.message, /^cannot read nope\.img: /);
});

Deno.test("a truncated length word names the entry and offset", () => {
  const full = encodeImage("FDINFO", [fdinfo(0), fdinfo(1)]);
  const e = imageError(() => decodeImageBytes(full.subarray(0, 8 + 12 + 2), "fdinfo-2.img"));
  assert.equal(
    e.message,
    "cannot read fdinfo-2.img: entry 1 truncated at offset 0x14 (wanted 4 bytes, got 2)",
  );
  assert.deepEqual([e.image, e.entry, e.offset], ["fdinfo-2.img", 1, 0x14]);
});

Deno.test("a truncated payload names the entry, offset and sizes", () => {
  const full = encodeImage("FDINFO", [fdinfo(0), fdinfo(300)]);
  const e = imageError(() => decodeImageBytes(full.subarray(0, full.length - 3), "fdinfo-2.img"));
  assert.equal(
    e.message,
    "cannot read fdinfo-2.img: entry 1 truncated at offset 0x18 (wanted 10 bytes, got 7)",
  );
});

Deno.test("a length beyond the file is refused without allocating it", () => {
  const bytes = frameImage("FILES", [{ payload: new Uint8Array(3) }]);
  new DataView(bytes.buffer).setUint32(8, 0xfffffff0, true);
  const e = imageError(() => decodeImageBytes(bytes, "files.img"));
  assert.equal(
    e.message,
    "cannot read files.img: entry 0 truncated at offset 0xc (wanted 4294967280 bytes, got 3)",
  );
});

Deno.test("extras after pipes-data and sk-queues entries are views of the file", () => {
  const data = new TextEncoder().encode("hello");
  const bytes = encodeImage("PIPES_DATA", [
    { pipe_id: 7, bytes: 5, size: 65536, extra: data },
    { pipe_id: 8, bytes: 0, extra: new Uint8Array(0) },
  ]);
  const [a, b] = decodeImageBytes(bytes, "pipes-data.img").entries;
  assert.deepEqual(a.extra, data);
  assert.equal((a.extra as Uint8Array).buffer, bytes.buffer);
  assert.deepEqual(b.extra, new Uint8Array(0));
  const sk = encodeImage("SK_QUEUES", [{
    id_for: 3,
    length: 2,
    scm: [{ type: 1, rights: [4, 5] }],
    extra: data.subarray(0, 2),
  }]);
  assert.deepEqual(decodeImageBytes(sk, "sk-queues.img").entries[0], {
    id_for: 3,
    length: 2,
    scm: [{ type: 1, rights: [4, 5] }],
    extra: data.subarray(0, 2),
  });
});

Deno.test("an extra shorter than its entry says is a truncated entry", () => {
  const bytes = encodeImage("PIPES_DATA", [{ pipe_id: 7, bytes: 10, extra: new Uint8Array(4) }]);
  const e = imageError(() => decodeImageBytes(bytes, "pipes-data.img"));
  assert.match(
    e.message,
    /^cannot read pipes-data\.img: entry 0 truncated at offset 0x\w+ \(wanted 10 bytes, got 4\)$/,
  );
});

Deno.test("a ghost file holds its content, or chunks each with their bytes", () => {
  const whole = encodeImage("GHOST_FILE", [{
    uid: 0,
    gid: 0,
    mode: 0o100644,
    size: 3n,
    extra: new Uint8Array([1, 2, 3]),
  }]);
  assert.deepEqual(
    decodeImageBytes(whole, "ghost-file-1.img").entries[0].extra,
    new Uint8Array([1, 2, 3]),
  );
  const chunked = encodeImage("GHOST_FILE", [
    { uid: 0, gid: 0, mode: 0o100644, chunks: true, size: 8192n },
    { len: 2n, off: 4096n, extra: new Uint8Array([9, 9]) },
  ]);
  const entries = decodeImageBytes(chunked, "ghost-file-2.img").entries;
  assert.deepEqual(entries[1], { len: 2n, off: 4096n, extra: new Uint8Array([9, 9]) });
});

Deno.test("the pagemap head is the first entry", () => {
  const bytes = encodeImage("PAGEMAP", [{ pages_id: 1 }, {
    vaddr: 0x7ffe080ed000n,
    nr_pages: 4,
    flags: 6,
  }]);
  const entries = decodeImageBytes(bytes, "pagemap-1.img").entries;
  assert.deepEqual(entries, [{ pages_id: 1 }, { vaddr: 0x7ffe080ed000n, nr_pages: 4, flags: 6 }]);
});

Deno.test("typed readers apply the declared mnt_id default of -1", () => {
  const reg = { id: 1, flags: 0, pos: 0n, fown: FOWN, name: "/a" };
  const dir = inDir({ "files.img": encodeImage("FILES", [{ type: 1, id: 1, reg }]) });
  assert.equal(readEntries(dir, "files")[0].reg?.mnt_id, -1);
  const raw = decodeImageBytes(Deno.readFileSync(`${dir}/files.img`), "f").entries[0];
  assert.deepEqual(raw.reg, reg, "readImageFile gives wire fields only");
});

Deno.test("a missing required field is an ImageError naming the field", () => {
  const payload = encodeEntry("fdinfo_entry", { id: 1, flags: 0, type: 1, fd: 0 }).subarray(0, 4);
  const e = imageError(() => decodeImageBytes(frameImage("FDINFO", [{ payload }]), "fdinfo-1.img"));
  assert.equal(
    e.message,
    "cannot read fdinfo-1.img: entry 0 at offset 0x8 is not a valid fdinfo_entry: " +
      "missing required field fdinfo_entry.type (at offset 0x10)",
  );
});

Deno.test("garbage protobuf is an ImageError, not an exception", () => {
  const payload = new Uint8Array([0x08, 0xff, 0xff]); // varint cut short
  const e = imageError(() => decodeImageBytes(frameImage("FDINFO", [{ payload }]), "fdinfo-1.img"));
  assert.match(
    e.message,
    /^cannot read fdinfo-1\.img: entry 0 at offset 0x8 is not a valid fdinfo_entry: varint truncated/,
  );
  const bad = imageError(() =>
    decodeImageBytes(frameImage("FDINFO", [{ payload: new Uint8Array([0x0f]) }]), "x")
  );
  assert.match(bad.message, /invalid wire type 7/);
});
