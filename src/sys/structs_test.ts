import assert from "node:assert/strict";
import {
  cmsgLen,
  cmsgSpace,
  decodeItimerspec,
  decodeSockaddrUn,
  encodeEpollEvent,
  encodeItimerspec,
  encodeSockaddrIn,
  encodeSockaddrIn6,
  encodeSockaddrUn,
  OFFSETOF,
  parseCmsgs,
  setCmsghdr,
  sigset,
  sigsetAll,
  SIZEOF,
  view,
} from "./structs.ts";

const C_SOURCE = `
#define _GNU_SOURCE
#include <stdio.h>
#include <stddef.h>
#include <fcntl.h>
#include <spawn.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/uio.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <netinet/in.h>
#define S(t) printf("\\"%s\\":%zu,", #t, sizeof(t))
#define O(t, f) printf("\\"%s.%s\\":%zu,", #t, #f, offsetof(t, f))
int main(void) {
  printf("{");
  S(struct stat); S(struct f_owner_ex); S(struct iovec); S(struct msghdr); S(struct cmsghdr);
  S(struct sockaddr_un); S(struct sockaddr_in); S(struct sockaddr_in6); S(struct itimerspec);
  S(struct epoll_event); S(struct rlimit); S(posix_spawn_file_actions_t); S(posix_spawnattr_t);
  S(sigset_t); S(struct sigaction); O(struct sigaction, sa_handler);
  S(struct flock);
  O(struct flock, l_type); O(struct flock, l_whence); O(struct flock, l_start);
  O(struct flock, l_len); O(struct flock, l_pid);
  O(struct stat, st_dev); O(struct stat, st_ino); O(struct stat, st_mode); O(struct stat, st_uid);
  O(struct stat, st_gid); O(struct stat, st_rdev); O(struct stat, st_size);
  O(struct msghdr, msg_name); O(struct msghdr, msg_namelen); O(struct msghdr, msg_iov);
  O(struct msghdr, msg_iovlen); O(struct msghdr, msg_control); O(struct msghdr, msg_controllen);
  O(struct msghdr, msg_flags);
  O(struct cmsghdr, cmsg_len); O(struct cmsghdr, cmsg_level); O(struct cmsghdr, cmsg_type);
  O(struct sockaddr_in6, sin6_port); O(struct sockaddr_in6, sin6_flowinfo);
  O(struct sockaddr_in6, sin6_addr); O(struct sockaddr_in6, sin6_scope_id);
  O(struct epoll_event, events); O(struct epoll_event, data);
  printf("\\"CMSG_LEN(12)\\":%zu,\\"CMSG_SPACE(12)\\":%zu,\\"CMSG_SPACE(4)\\":%zu,", CMSG_LEN(12),
         CMSG_SPACE(12), CMSG_SPACE(4));
  printf("\\"sun_path\\":%zu}", offsetof(struct sockaddr_un, sun_path));
  return 0;
}
`;

function hasGcc(): boolean {
  try {
    return new Deno.Command("gcc", { args: ["--version"], stdout: "null" }).outputSync().success;
  } catch {
    return false;
  }
}

const gcc = hasGcc();
if (!gcc) console.warn("structs_test: gcc not found, skipping the sizeof/offsetof comparison");

Deno.test({
  name: "struct sizes and offsets match what gcc reports for this glibc",
  ignore: !gcc,
  fn() {
    const dir = Deno.makeTempDirSync();
    try {
      Deno.writeTextFileSync(`${dir}/l.c`, C_SOURCE);
      const cc = new Deno.Command("gcc", { args: ["-o", `${dir}/l`, `${dir}/l.c`] }).outputSync();
      assert.ok(cc.success, new TextDecoder().decode(cc.stderr));
      const out = new Deno.Command(`${dir}/l`).outputSync();
      const c: Record<string, number> = JSON.parse(new TextDecoder().decode(out.stdout));
      const ours: Record<string, number> = {};
      for (const [k, v] of Object.entries(SIZEOF)) {
        const cName = k.endsWith("_t") ? k : `struct ${k}`;
        ours[cName] = v;
      }
      for (const [struct, fields] of Object.entries(OFFSETOF)) {
        for (const [f, v] of Object.entries(fields)) ours[`struct ${struct}.${f}`] = v;
      }
      ours["CMSG_LEN(12)"] = cmsgLen(12);
      ours["CMSG_SPACE(12)"] = cmsgSpace(12);
      ours["CMSG_SPACE(4)"] = cmsgSpace(4);
      ours["sun_path"] = 2;
      for (const [k, v] of Object.entries(ours)) assert.equal(v, c[k], k);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

Deno.test("a unix path address is 2 + length + NUL bytes long", () => {
  const a = encodeSockaddrUn({ path: "/tmp/s" });
  assert.equal(a.len, 9);
  assert.deepEqual([...a.buf.subarray(0, 9)], [1, 0, 47, 116, 109, 112, 47, 115, 0]);
  assert.deepEqual(decodeSockaddrUn(a.buf, a.len), { path: "/tmp/s" });
});

Deno.test("an abstract unix name is 3 + name length bytes long with a leading NUL", () => {
  const a = encodeSockaddrUn({ abstract: "ab" });
  assert.equal(a.len, 5);
  assert.deepEqual([...a.buf.subarray(0, 5)], [1, 0, 0, 97, 98]);
  assert.deepEqual(decodeSockaddrUn(a.buf, a.len), { abstract: new Uint8Array([97, 98]) });
  assert.deepEqual(decodeSockaddrUn(a.buf, 2), { unnamed: true });
});

Deno.test("a unix name over 107 bytes is refused", () => {
  assert.throws(() => encodeSockaddrUn({ path: "x".repeat(108) }), RangeError);
  assert.equal(encodeSockaddrUn({ path: "x".repeat(107) }).len, 110);
});

Deno.test("inet addresses store the port big-endian", () => {
  const a = encodeSockaddrIn([127, 0, 0, 1], 0x1234);
  assert.deepEqual([...a.buf.subarray(0, 8)], [2, 0, 0x12, 0x34, 127, 0, 0, 1]);
  const b = encodeSockaddrIn6(new Array(16).fill(0).map((_, i) => i), 80, 0, 3);
  assert.equal(b.len, 28);
  assert.equal(view(b.buf).getUint16(2, false), 80);
  assert.equal(b.buf[8 + 15], 15);
  assert.equal(view(b.buf).getUint32(24, true), 3);
});

Deno.test("sigset sets bit n-1 for signal n, and sigsetAll covers 32 and 33", () => {
  const s = sigset([1, 9, 64]);
  assert.equal(s[0], 1);
  assert.equal(s[1], 1);
  assert.equal(s[7], 0x80);
  assert.throws(() => sigset([65]), RangeError);
  const all = sigsetAll();
  assert.equal(all[3] & 0x80, 0x80);
  assert.equal(all[4] & 0x01, 0x01);
  assert.equal(all[8], 0);
});

Deno.test("itimerspec round-trips nanoseconds", () => {
  const t = { intervalNs: 1_500_000_000n, valueNs: 7n };
  assert.deepEqual(decodeItimerspec(encodeItimerspec(t)), t);
});

Deno.test("epoll_event is packed: data starts at byte 4", () => {
  const e = encodeEpollEvent(1, 0x0102030405060708n);
  assert.equal(e.byteLength, 12);
  assert.equal(e[4], 8);
  assert.equal(e[11], 1);
});

Deno.test("parseCmsgs walks padded control messages", () => {
  const buf = new Uint8Array(new ArrayBuffer(cmsgSpace(4) + cmsgSpace(8)));
  const v = view(buf);
  setCmsghdr(v, 0, cmsgLen(4), 1, 1);
  v.setInt32(16, 42, true);
  setCmsghdr(v, cmsgSpace(4), cmsgLen(8), 1, 2);
  const got = parseCmsgs(buf, buf.byteLength);
  assert.equal(got.length, 2);
  assert.deepEqual([got[0].level, got[0].type, got[0].data.byteLength, got[0].data[0]], [
    1,
    1,
    4,
    42,
  ]);
  assert.deepEqual([got[1].type, got[1].data.byteLength], [2, 8]);
});
