/**
 * A daemon with a netlink socket: dnsmasq (Debian `dnsmasq`) serving DNS on
 * 127.0.0.1 from its config alone, dumped by real criu at test time
 * (scripts/real/dump_dnsmasq.sh) and restored by fdrestore with its recorded
 * program behind a gate. Before dnsmasq runs, the restored table must hold
 * its NETLINK_ROUTE socket with the original's port id and groups (as
 * /proc/net/netlink showed them before the dump) and its UDP and TCP sockets
 * on the original port. Then dnsmasq, which closes what it inherited and
 * binds anew, must answer a query over UDP and over TCP: fdrestore has let
 * go of its own copies of those sockets.
 *
 * Needs root (else a visible skip), dnsmasq and criu (a failure in CI).
 */
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { join } from "node:path";
import { runCli } from "./support/cli.ts";
import {
  canDump,
  dumpReal,
  eventually,
  gate,
  killAll,
  listenersOf,
  treeOf,
} from "./support/real_dump.ts";

const NAME = "restored.fdrestore.test";

/** A DNS query for the A record of `name` (id 0x4652, recursion desired). */
function query(name: string): Uint8Array {
  const labels = name.split(".").flatMap((l) => [l.length, ...new TextEncoder().encode(l)]);
  return new Uint8Array([0x46, 0x52, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, 0, 1, 0, 1]);
}

/** The IPv4 addresses of the A records in a response to {@link query}. */
function answers(msg: Uint8Array, name: string): string[] {
  assert.equal((msg[0] << 8) | msg[1], 0x4652, "the response's id");
  assert.equal(msg[3] & 0xf, 0, "rcode NOERROR");
  const count = (msg[6] << 8) | msg[7];
  let at = 12 + name.length + 2 + 4; // the question, echoed
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    at += (msg[at] & 0xc0) === 0xc0 ? 2 : name.length + 2; // a pointer or the name again
    const type = (msg[at] << 8) | msg[at + 1];
    const len = (msg[at + 8] << 8) | msg[at + 9];
    if (type === 1 && len === 4) out.push([...msg.subarray(at + 10, at + 14)].join("."));
    at += 10 + len;
  }
  return out;
}

async function askUdp(port: number): Promise<string[]> {
  const sock = dgram.createSocket("udp4");
  try {
    const reply = new Promise<Uint8Array>((resolve, reject) => {
      sock.once("message", (m: Uint8Array) => resolve(new Uint8Array(m)));
      sock.once("error", reject);
      setTimeout(() => reject(new Error("no UDP answer in 10 s")), 10_000);
    });
    sock.send(query(NAME), port, "127.0.0.1");
    return answers(await reply, NAME);
  } finally {
    sock.close();
  }
}

async function askTcp(port: number): Promise<string[]> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const q = query(NAME);
    await conn.write(new Uint8Array([q.length >> 8, q.length & 0xff, ...q]));
    const got: number[] = [];
    const buf = new Uint8Array(512);
    while (got.length < 2 || got.length < 2 + ((got[0] << 8) | got[1])) {
      const n = await conn.read(buf);
      if (n === null) break;
      got.push(...buf.subarray(0, n));
    }
    return answers(new Uint8Array(got.slice(2)), NAME);
  } finally {
    conn.close();
  }
}

/** "FD PROTOCOL PORTID GROUPS" of each netlink socket `pid` holds (/proc/net/netlink). */
function netlinkOf(pid: number): string[] {
  const byInode = new Map<string, string[]>();
  for (const line of Deno.readTextFileSync("/proc/net/netlink").split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 10) byInode.set(f[9], f);
  }
  const out: string[] = [];
  for (const e of Deno.readDirSync(`/proc/${pid}/fd`)) {
    // dnsmasq closes its inherited fds while it starts: one listed may be gone.
    const link = linkOf(`/proc/${pid}/fd/${e.name}`);
    const m = link === undefined ? null : /^socket:\[(\d+)\]$/.exec(link);
    const f = m && byInode.get(m[1]);
    if (f) out.push(`${e.name} ${f[1]} ${f[2]} ${f[3]}`);
  }
  return out.sort();
}

Deno.test("dnsmasq dumped by criu comes back with its netlink socket and answers DNS over UDP and TCP", async () => {
  if (!canDump("dnsmasq")) return;
  const d = await dumpReal("dnsmasq");
  const before = Deno.readTextFileSync(join(d.work, "netlink.before")).trim().split("\n");
  // NETLINK_ROUTE (0) bound to dnsmasq's pid, with the address groups it follows.
  assert.match(before[0] ?? "", new RegExp(`^3 0 ${d.pid} [0-9a-f]{8}$`));
  const g = gate(d.work);
  const r = await runCli([
    "restore",
    "-D",
    d.images,
    "-d",
    "--pidfile",
    join(d.work, "restored.pid"),
    "--",
    ...g.wrap(["/usr/sbin/dnsmasq", "--keep-in-foreground", `--conf-file=${d.work}/dnsmasq.conf`]),
  ]);
  assert.equal(r.code, 0, r.stderr);
  const pid = Number(Deno.readTextFileSync(join(d.work, "restored.pid")));
  try {
    // The restored table, before dnsmasq runs: the original's netlink socket and listeners.
    assert.deepEqual(netlinkOf(pid), before);
    assert.deepEqual(listenersOf([pid]), [`127.0.0.1:${d.port}`]);
    g.open();
    // dnsmasq closes every inherited fd and binds its own sockets on the same port.
    await eventually("dnsmasq's own netlink socket", () => {
      const now = netlinkOf(pid);
      return now.length === 1 && now[0] !== before[0] ? now : undefined;
    });
    assert.deepEqual(await askUdp(d.port), ["10.9.8.7"]);
    assert.deepEqual(await askTcp(d.port), ["10.9.8.7"]);
    const log = Deno.readTextFileSync(join(d.work, "dnsmasq.log"));
    assert.ok(log.includes(`dnsmasq[${pid}]: started, version`), log);
  } finally {
    await killAndWait(pid);
  }
  // Again with its recorded program, no gate: dnsmasq binds while `restore -d` still
  // watches its first moments, so fdrestore must not hold the sockets any more.
  const again = await runCli(["restore", "-D", d.images, "-d", "--pidfile", join(d.work, "2.pid")]);
  assert.equal(again.code, 0, again.stderr);
  const pid2 = Number(Deno.readTextFileSync(join(d.work, "2.pid")));
  try {
    assert.deepEqual(await askUdp(d.port), ["10.9.8.7"]);
  } finally {
    await killAndWait(pid2);
  }
});

async function killAndWait(pid: number): Promise<void> {
  const tree = treeOf(pid);
  killAll(tree);
  await eventually("the restored dnsmasq to end", () => {
    try {
      Deno.statSync(`/proc/${pid}`);
      return undefined;
    } catch {
      return true;
    }
  });
}

function linkOf(path: string): string | undefined {
  try {
    return Deno.readLinkSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}
