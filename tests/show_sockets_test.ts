/**
 * `show` names netlink and packet sockets by what a restore recreates, on
 * the zdtm corpus images (values as crit decodes them in each scenario's
 * decoded/files.img.json).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "./support/cli.ts";
import { ZDTM_CORPUS } from "./support/zdtm.ts";

async function whats(scenario: string): Promise<Record<number, [string, string]>> {
  const r = await runCli(["show", "--json", "-D", join(ZDTM_CORPUS, scenario, "images")]);
  assert.equal(r.code, 0, r.stderr);
  const fds: { fd: number; kind: string; what: string }[] = JSON.parse(r.stdout).tasks[0].fds;
  return Object.fromEntries(fds.filter((f) => f.fd > 3).map((f) => [f.fd, [f.kind, f.what]]));
}

const present = (() => {
  try {
    return Deno.statSync(join(ZDTM_CORPUS, "zdtm-sk-netlink")).isDirectory;
  } catch {
    return false;
  }
})();
if (!present) console.log(`skipped: show of netlink and packet sockets: no ${ZDTM_CORPUS}`);

Deno.test({
  name: "show names each netlink socket's protocol, port id, groups and destination",
  ignore: !present,
  async fn() {
    assert.deepEqual(await whats("zdtm-sk-netlink"), {
      4: ["netlink", "netlink protocol 15, port id 9756"],
      5: ["netlink", "netlink protocol 15, port id 3370872888, groups 0x80000000"],
      6: ["netlink", "netlink protocol 15, port id 2984318977 -> port id 9756 group 32"],
      7: ["netlink", "netlink protocol 15, unbound"],
    });
  },
});

Deno.test({
  name: "show names each packet socket's type, protocol in host order and interface",
  ignore: !present,
  async fn() {
    assert.deepEqual(await whats("zdtm-packet_sock"), {
      4: ["packet", "packet raw, protocol 0x0000, every interface"],
      5: ["packet", "packet dgram, protocol 0x0800, interface 1"],
    });
  },
});
