import assert from "node:assert/strict";
import protobuf from "protobufjs";
import { decodeImageBytes } from "./image_file.ts";
import { frameImage } from "../../tests/support/image_writer.ts";

// A "future CRIU" writer schema: our messages plus fields we do not know,
// and packed encodings, to make fixtures the real schema must read.
const FUTURE = `
syntax = "proto2";
message pstree_packed { required uint32 pid = 1; required uint32 ppid = 2; required uint32 pgid = 3;
  required uint32 sid = 4; repeated uint32 threads = 5 [packed = true]; }
message reg_future { required uint32 id = 1; required uint32 flags = 2; required uint64 pos = 3;
  required fown f = 5; required string name = 6; optional sint32 mnt_id = 7; optional uint64 size = 8;
  optional uint64 u_varint = 40; optional fixed64 u_fixed64 = 41; optional bytes u_bytes = 42;
  optional fixed32 u_fixed32 = 43; }
message fown { required uint32 uid = 1; required uint32 euid = 2; required uint32 signum = 3;
  required uint32 pid_type = 4; required uint32 pid = 5; }
message file_future { required uint32 type = 1; required uint32 id = 2; optional reg_future reg = 3; }
message pidfd_like { required uint32 type = 1; required uint32 id = 2; optional pidfd p = 22; }
message pidfd { required uint32 id = 1; required uint32 ino = 2; required uint32 flags = 3;
  required int32 nspid = 4; required fown fown = 5; }
`;
const root = protobuf.parse(FUTURE, { keepCase: true }).root;

function payload(type: string, obj: Record<string, unknown>): Uint8Array {
  const t = root.lookupType(type);
  return t.encode(t.fromObject(obj)).finish();
}

const FOWN = { uid: 0, euid: 0, signum: 0, pid_type: 0, pid: 0 };

function decodeOne(image: string, p: Uint8Array): Record<string, unknown> {
  return decodeImageBytes(frameImage(image, [{ payload: p }]), "test.img").entries[0];
}

Deno.test("64-bit values decode exactly as bigint", () => {
  const e = decodeOne(
    "FILES",
    payload("file_future", {
      type: 1,
      id: 1,
      reg: {
        id: 1,
        flags: 0,
        pos: "18446744073709551615",
        f: FOWN,
        name: "/x",
        size: "9007199254740993",
      },
    }),
  );
  const reg = e.reg as Record<string, unknown>;
  assert.equal(reg.pos, 18446744073709551615n);
  assert.equal(reg.size, 9007199254740993n);
});

Deno.test("sint32 -1 is zig-zag decoded and a negative int32 reads from its 10-byte varint", () => {
  const e = decodeOne(
    "FILES",
    payload("pidfd_like", {
      type: 20,
      id: 2,
      p: { id: 2, ino: 5, flags: 0, nspid: -7, fown: FOWN },
    }),
  );
  assert.equal((e.pidfd as Record<string, unknown>).nspid, -7);
  const r = decodeOne(
    "FILES",
    payload("file_future", {
      type: 1,
      id: 1,
      reg: { id: 1, flags: 0, pos: 0, f: FOWN, name: "/x", mnt_id: -1 },
    }),
  );
  assert.equal((r.reg as Record<string, unknown>).mnt_id, -1);
});

Deno.test("repeated scalars decode both packed and unpacked", () => {
  const packed = decodeOne(
    "PSTREE",
    payload("pstree_packed", { pid: 1, ppid: 0, pgid: 1, sid: 1, threads: [1, 300, 7] }),
  );
  assert.deepEqual(packed, { pid: 1, ppid: 0, pgid: 1, sid: 1, threads: [1, 300, 7] });
  const pkType = root.lookupType("pstree_packed");
  assert.ok(pkType.fields.threads.packed, "fixture really is packed");
  const plain = decodeOne("PSTREE", new Uint8Array([8, 1, 16, 0, 24, 1, 32, 1, 40, 1, 40, 2]));
  assert.deepEqual(plain.threads, [1, 2]);
});

Deno.test("unknown fields of every wire type are skipped", () => {
  const e = decodeOne(
    "FILES",
    payload("file_future", {
      type: 1,
      id: 3,
      reg: {
        id: 3,
        flags: 2,
        pos: 5,
        f: FOWN,
        name: "/y",
        u_varint: "12345678901",
        u_fixed64: "1",
        u_bytes: new Uint8Array([1, 2, 3]),
        u_fixed32: 9,
      },
    }),
  );
  assert.deepEqual(e, {
    type: 1,
    id: 3,
    reg: { id: 3, flags: 2, pos: 5n, fown: FOWN, name: "/y" },
  });
});

Deno.test("an unknown group field is skipped too", () => {
  // field 9, start group (wt 3) holding a varint field, end group (wt 4)
  const group = [9 << 3 | 3, 1 << 3 | 0, 5, 9 << 3 | 4];
  const e = decodeOne("PSTREE", new Uint8Array([8, 1, 16, 0, ...group, 24, 1, 32, 1]));
  assert.deepEqual(e, { pid: 1, ppid: 0, pgid: 1, sid: 1 });
});
