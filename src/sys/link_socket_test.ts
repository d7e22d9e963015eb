import assert from "node:assert/strict";
import {
  encodePacketMreq,
  encodeSockaddrLl,
  encodeSockaddrNl,
  encodeSockaddrPkt,
  encodeTpacketReq,
  PACKET_MREQ_MAX_SIZE,
  SOCKADDR_LL_SIZE,
  SOCKADDR_NL_SIZE,
  TPACKET_REQ3_SIZE,
} from "./link_socket.ts";

const C_SOURCE = `
#include <stdio.h>
#include <stddef.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/if_packet.h>
int main(void) {
  printf("{\\"nl\\":%zu,\\"nl_pid\\":%zu,\\"nl_groups\\":%zu,", sizeof(struct sockaddr_nl),
         offsetof(struct sockaddr_nl, nl_pid), offsetof(struct sockaddr_nl, nl_groups));
  printf("\\"ll\\":%zu,\\"ll_protocol\\":%zu,\\"ll_ifindex\\":%zu,", sizeof(struct sockaddr_ll),
         offsetof(struct sockaddr_ll, sll_protocol), offsetof(struct sockaddr_ll, sll_ifindex));
  printf("\\"req3\\":%zu,\\"mreq_type\\":%zu,\\"mreq_alen\\":%zu,\\"mreq_addr\\":%zu}",
         sizeof(struct tpacket_req3), offsetof(struct packet_mreq, mr_type),
         offsetof(struct packet_mreq, mr_alen), offsetof(struct packet_mreq, mr_address));
  return 0;
}
`;

function gccLayout(): Record<string, number> | undefined {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${dir}/l.c`, C_SOURCE);
    const cc = new Deno.Command("gcc", { args: ["-o", `${dir}/l`, `${dir}/l.c`] }).outputSync();
    if (!cc.success) return undefined;
    return JSON.parse(new TextDecoder().decode(new Deno.Command(`${dir}/l`).outputSync().stdout));
  } catch {
    return undefined; // no gcc
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

const layout = gccLayout();
if (!layout) console.warn("link_socket_test: gcc or kernel headers missing, layout check skipped");

Deno.test({
  name: "netlink and packet struct layouts match the kernel headers",
  ignore: !layout,
  fn() {
    const c = layout as Record<string, number>;
    assert.deepEqual(
      [c.nl, c.nl_pid, c.nl_groups, c.ll, c.ll_protocol, c.ll_ifindex, c.req3],
      [SOCKADDR_NL_SIZE, 4, 8, SOCKADDR_LL_SIZE, 2, 4, TPACKET_REQ3_SIZE],
    );
    assert.deepEqual([c.mreq_type, c.mreq_alen, c.mreq_addr], [4, 6, 8]);
  },
});

Deno.test("the encoders put each field where the layout says", () => {
  assert.deepEqual(
    [...encodeSockaddrNl({ portid: 0x01020304, groups: 0x8000_0000 }).buf],
    [16, 0, 0, 0, 4, 3, 2, 1, 0, 0, 0, 0x80],
  );
  assert.deepEqual([...encodeSockaddrLl(7, 0x0008).buf.subarray(0, 8)], [17, 0, 8, 0, 7, 0, 0, 0]);
  const pkt = encodeSockaddrPkt("lo");
  assert.deepEqual([pkt.len, ...pkt.buf.subarray(0, 5)], [16, 17, 0, 108, 111, 0]);
  assert.throws(() => encodeSockaddrPkt("a-very-long-name"), RangeError);
  const req = new DataView(
    encodeTpacketReq({
      block_size: 4096,
      block_nr: 2,
      frame_size: 1024,
      frame_nr: 8,
      retire_tmo: 60,
      sizeof_priv: 0,
      features: 1,
    }).buffer,
  );
  assert.deepEqual([0, 4, 8, 12, 16, 24].map((o) => req.getUint32(o, true)), [
    4096,
    2,
    1024,
    8,
    60,
    1,
  ]);
  const mreq = encodePacketMreq(1, 3, new Uint8Array([1, 2, 3, 4, 5, 6]));
  assert.equal(mreq.length, PACKET_MREQ_MAX_SIZE);
  assert.deepEqual([...mreq.subarray(0, 14)], [1, 0, 0, 0, 3, 0, 6, 0, 1, 2, 3, 4, 5, 6]);
});
