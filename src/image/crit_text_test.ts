import assert from "node:assert/strict";
import { imageBytesToJson } from "./crit_json.ts";
import { imageBytesToJsonText, writeImageJsonText } from "./crit_text.ts";
import { ImageError } from "./image_error.ts";
import { renderJson } from "./json_render.ts";
import { encodeEntry, frameImage } from "../../tests/support/image_writer.ts";

// Hand-made wire bytes, to write what protobuf-c never does.
function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
const num = (id: number, v: number) => [...varint(id * 8), ...varint(v)];
const len = (id: number, b: number[]) => [...varint(id * 8 + 2), ...varint(b.length), ...b];
const ascii = (s: string) => [...new TextEncoder().encode(s)];

function image(kind: string, ...payloads: (number[] | Uint8Array)[]): Uint8Array {
  return frameImage(kind, payloads.map((p) => ({ payload: new Uint8Array(p) })));
}

/** The streamed text, drained after every entry (hold 1) or held whole. */
function streamed(bytes: Uint8Array, pretty: boolean, hold?: number): string {
  const pieces: string[] = [];
  const dec = new TextDecoder();
  writeImageJsonText(bytes, "x.img", pretty, (t) => pieces.push(dec.decode(t)), hold);
  return pieces.join("");
}

/** Both paths, whole and streamed, give the same text (pretty and plain), or the same error. */
function sameAsReference(bytes: Uint8Array): void {
  for (const pretty of [true, false]) {
    let want: string | Error;
    try {
      want = renderJson(imageBytesToJson(bytes, "x.img", { pretty }), pretty);
    } catch (e) {
      want = e as Error;
    }
    if (want instanceof Error) {
      for (const hold of [undefined, 1]) {
        assert.throws(() => streamed(bytes, pretty, hold), (e) => {
          assert.ok(e instanceof ImageError);
          assert.equal(e.message, (want as Error).message);
          return true;
        });
      }
    } else {
      assert.equal(new TextDecoder().decode(imageBytesToJsonText(bytes, "x.img", pretty)), want);
      assert.equal(streamed(bytes, pretty), want);
      assert.equal(streamed(bytes, pretty, 1), want);
    }
  }
}

const FOWN = { uid: 0, euid: 0, signum: 0, pid_type: 0, pid: 0 };

Deno.test("canonical entries are transcoded to crit's text, pretty and plain", () => {
  const reg = {
    id: 7,
    flags: 0o102002,
    pos: 18446744073709551615n,
    fown: FOWN,
    name: '/tmp/a "q"\\ naïve \u0001 😀',
    mnt_id: -1,
    size: 4096n,
    build_id: [1, 2],
  };
  const bytes = frameImage("FILES", [
    { payload: encodeEntry("file_entry", { type: 1, id: 7, reg }) },
    {
      payload: encodeEntry("file_entry", {
        type: 2,
        id: 8,
        pipe: { id: 8, pipe_id: 9, flags: 1, fown: FOWN },
      }),
    },
    { payload: encodeEntry("file_entry", { type: 99, id: 9 }) }, // an enum value we do not name
  ]);
  sameAsReference(bytes);
  const text = new TextDecoder().decode(imageBytesToJsonText(bytes, "files.img", true));
  assert.match(text, /"flags": "O_RDWR \| O_APPEND \| O_LARGEFILE"/);
  assert.match(text, /"name": "\/tmp\/a \\"q\\"\\\\ na\\u00efve \\u0001 \\ud83d\\ude00"/);
  assert.match(text, /"pos": 18446744073709551615/);
  assert.match(text, /"type": 99/);
});

Deno.test("inet addresses, hex inheritance, devices and empty messages match the reference", () => {
  const opts = { so_sndbuf: 1, so_rcvbuf: 2, so_snd_tmo_sec: 0, so_snd_tmo_usec: 0 };
  const isk = (family: number, addr: number[]) => ({
    id: 1,
    ino: 2,
    family,
    type: 1,
    proto: 6,
    state: 10,
    src_port: 80,
    dst_port: 0,
    flags: 0x802,
    backlog: 5,
    src_addr: addr,
    fown: FOWN,
    opts: { ...opts, so_rcv_tmo_sec: 0, so_rcv_tmo_usec: 0 },
  });
  sameAsReference(frameImage("FILES", [
    { payload: encodeEntry("file_entry", { type: 4, id: 1, isk: isk(2, [0x0100007f]) }) },
    { payload: encodeEntry("file_entry", { type: 4, id: 2, isk: isk(10, [0, 0, 0, 0x01000000]) }) },
  ]));
  sameAsReference(frameImage("STATS", [{ payload: encodeEntry("stats_entry", {}) }]));
  sameAsReference(frameImage("IRMAP_CACHE", [{
    payload: encodeEntry("irmap_cache_entry", { dev: 0x801, inode: 5n, path: "/x" }),
  }]));
  sameAsReference(frameImage("FILES", []));
});

Deno.test("what protobuf-c never writes is rendered by the reference path, with its result", () => {
  const fdinfo = (...fields: number[][]) => image("FDINFO", fields.flat());
  // fields out of number order
  sameAsReference(fdinfo(num(4, 3), num(3, 1), num(2, 0), num(1, 9)));
  // a field twice (the last one wins)
  sameAsReference(fdinfo(num(1, 9), num(1, 10), num(2, 0), num(3, 1), num(4, 3)));
  // unknown fields of every wire type in between
  sameAsReference(fdinfo(
    num(1, 9),
    num(40, 5),
    len(41, [1, 2]),
    [...varint(42 * 8 + 5), 1, 2, 3, 4],
    [...varint(43 * 8 + 1), 1, 2, 3, 4, 5, 6, 7, 8],
    num(2, 0),
    num(3, 1),
    num(4, 3),
  ));
  // a repeated field split by another, packed, and an empty packed run
  const pstree = (...fields: number[][]) => image("PSTREE", fields.flat());
  const head = [num(1, 1), num(2, 0), num(3, 1)];
  sameAsReference(pstree(...head, num(5, 1), num(4, 1), num(5, 2)));
  sameAsReference(pstree(...head, num(4, 1), len(5, [1, 2, 0x80, 1])));
  sameAsReference(pstree(...head, num(4, 1), len(5, [])));
  // a nested message given twice merges
  const reg = len(3, [
    ...num(1, 1),
    ...num(2, 0),
    ...num(3, 0),
    ...len(5, []),
    ...len(6, ascii("/a")),
  ]);
  sameAsReference(image("FILES", [...num(1, 1), ...num(2, 1), ...reg, ...len(3, num(8, 5))]));
});

Deno.test("malformed entries give the reference path's errors", () => {
  // a missing required field, a truncated varint, a length past the end, a bad wire type
  sameAsReference(image("FDINFO", [...num(1, 9), ...num(2, 0), ...num(4, 3)]));
  sameAsReference(image("FDINFO", [...num(1, 9), 0x10, 0x80]));
  sameAsReference(image("FILES", [...num(1, 1), ...num(2, 1), ...varint(3 * 8 + 2), 50, 1]));
  sameAsReference(image("FDINFO", [...num(1, 9), 0x0f]));
  // a truncated frame
  const whole = image("FDINFO", [...num(1, 9), ...num(2, 0), ...num(3, 1), ...num(4, 3)]);
  sameAsReference(whole.subarray(0, whole.length - 2));
});

Deno.test("streamed text stays crit's across drains: repeats, odd entries and raw payloads", () => {
  const canonical = encodeEntry("file_entry", {
    type: 2,
    id: 8,
    pipe: { id: 8, pipe_id: 9, flags: 1, fown: FOWN },
  });
  // fields out of number order: the reference path, between transcoded entries
  const odd = new Uint8Array([...num(2, 8), ...num(1, 2)]);
  const entries = [canonical, canonical, odd, canonical, odd, odd, canonical];
  const files = frameImage("FILES", entries.map((payload) => ({ payload })));
  assert.match(
    new TextDecoder().decode(imageBytesToJsonText(files, "files.img", false)),
    /"id": 8/,
  );
  sameAsReference(files);
  const data = new Uint8Array(200_000).map((_, i) => (i * 7919) >> 3);
  sameAsReference(
    frameImage("PIPES_DATA", [
      {
        payload: encodeEntry("pipe_data_entry", { pipe_id: 1, bytes: 5 }),
        extra: data.subarray(0, 5),
      },
      { payload: encodeEntry("pipe_data_entry", { pipe_id: 2, bytes: data.length }), extra: data },
    ]),
  );
  sameAsReference(
    frameImage("GHOST_FILE", [{
      payload: encodeEntry("ghost_file_entry", { uid: 0, gid: 0, mode: 0o100644 }),
      extra: data.subarray(0, 99_999),
    }]),
  );
});
