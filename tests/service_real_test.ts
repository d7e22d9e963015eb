/**
 * Services come back: real Debian programs (nginx-light, lighttpd) started,
 * dumped by real criu (scripts/real/), and restored by fdrestore with the
 * hand-off options. Each test checks that the service answers on the
 * restored listener, that a connection queued before the program ran any
 * code is served, that nothing else is bound, and that the restored log fds
 * keep receiving lines.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "./support/cli.ts";
import {
  canDump,
  dumpReal,
  environOf,
  eventually,
  gate,
  httpGet,
  killAll,
  listenersOf,
  type RealDump,
  socketInodes,
  type TcpSocket,
  tcpSockets,
  treeOf,
} from "./support/real_dump.ts";

const lines = (path: string) => Deno.readTextFileSync(path).split("\n").filter(Boolean);

/** Connects and sends a request while the program cannot run: it waits in the accept queue. */
async function queueRequest(
  d: RealDump,
  path: string,
): Promise<{ answer: Promise<string>; queued: TcpSocket }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: d.port });
  await conn.write(new TextEncoder().encode(`GET ${path} HTTP/1.0\r\nHost: localhost\r\n\r\n`));
  const queued = await eventually(
    "the connection in the restored listener's queue",
    () => tcpSockets().find((s) => s.state === "0A" && s.port === d.port && s.rxQueue === 1),
  );
  return { answer: new Response(conn.readable).text(), queued };
}

/** The fd number at which `pid` holds the socket with this inode. */
function fdOfInode(pid: number, inode: string): number | undefined {
  for (const e of Deno.readDirSync(`/proc/${pid}/fd`)) {
    if (Deno.readLinkSync(`/proc/${pid}/fd/${e.name}`) === `socket:[${inode}]`) {
      return Number(e.name);
    }
  }
  return undefined;
}

Deno.test("nginx dumped by criu serves again on its restored listener (--no-children --fds-env NGINX)", async () => {
  if (!canDump("nginx")) return;
  const d = await dumpReal("nginx");
  const errorLog = join(d.work, "error.log");
  const accessLog = join(d.work, "access.log");
  const before = { error: lines(errorLog).length, access: lines(accessLog).length };
  const g = gate(d.work);
  const nginx = ["/usr/sbin/nginx", "-e", "stderr", "-p", d.work, "-c", join(d.work, "nginx.conf")];
  const r = await runCli([
    "restore",
    "-D",
    d.images,
    "-d",
    "--no-children",
    "--fds-env",
    "NGINX",
    "--pidfile",
    join(d.work, "restored.pid"),
    "--pid-map",
    join(d.work, "pids.json"),
    "--",
    ...g.wrap(nginx),
  ]);
  assert.equal(r.code, 0, r.stderr);
  const pid = Number(Deno.readTextFileSync(join(d.work, "restored.pid")));
  try {
    // Only the master was started: its workers are nginx's own business.
    assert.deepEqual(Object.keys(JSON.parse(Deno.readTextFileSync(join(d.work, "pids.json")))), [
      String(d.pid),
    ]);
    const { answer, queued } = await queueRequest(d, "/early");
    const fd = fdOfInode(pid, queued.inode);
    assert.equal(environOf(pid).get("NGINX"), `${fd};`);
    g.open();
    const early = await answer;
    assert.match(early, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(early, /\r\n\r\nhello from nginx\n$/);
    assert.deepEqual(await httpGet(d.port), { status: 200, body: "hello from nginx\n" });
    // The master forked two workers; the restored listener is all the tree listens on.
    const tree = await eventually("nginx's two workers", () => {
      const t = treeOf(pid);
      return t.length === 3 ? t : undefined;
    });
    assert.deepEqual(listenersOf(tree), [`127.0.0.1:${d.port}`]);
    assert.ok(socketInodes([pid]).has(queued.inode));
    // stderr (the error log) and the access log are the restored files, still written.
    const errors = lines(errorLog).slice(before.error);
    assert.ok(
      errors.some((l) => l.endsWith(`using inherited sockets from "${fd};"`)),
      errors.join("\n"),
    );
    const access = lines(accessLog).slice(before.access);
    assert.equal(access.length, 2, access.join("\n"));
    assert.match(access[0], /"GET \/early HTTP\/1\.0" 200 /);
  } finally {
    killAll(treeOf(pid));
  }
});

Deno.test("lighttpd dumped by criu comes back by socket activation (--listen-fds), LISTEN_PID its own pid", async () => {
  if (!canDump("lighttpd")) return;
  const d = await dumpReal("lighttpd");
  const errorLog = join(d.work, "error.log");
  const before = lines(errorLog).length;
  const g = gate(d.work);
  const r = await runCli([
    "restore",
    "-D",
    d.images,
    "-d",
    "--listen-fds",
    "--pidfile",
    join(d.work, "restored.pid"),
    "--",
    ...g.wrap(["/usr/sbin/lighttpd", "-D", "-f", join(d.work, "lighttpd.conf")]),
  ]);
  assert.equal(r.code, 0, r.stderr);
  const pid = Number(Deno.readTextFileSync(join(d.work, "restored.pid")));
  try {
    // sd_listen_fds(3): LISTEN_PID is the program's pid (exec keeps it), the socket is fd 3.
    const env = environOf(pid);
    assert.deepEqual(
      ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"].map((k) => env.get(k)),
      [String(pid), "1", "fd3"],
    );
    const fds = [...Deno.readDirSync(`/proc/${pid}/fd`)].map((e) => Number(e.name)).sort();
    assert.deepEqual(fds, [0, 1, 2, 3]);
    const { answer, queued } = await queueRequest(d, "/index.html?early");
    assert.equal(fdOfInode(pid, queued.inode), 3);
    g.open();
    assert.match(await answer, /\r\n\r\nhello from lighttpd\n$/);
    assert.deepEqual(await httpGet(d.port), { status: 200, body: "hello from lighttpd\n" });
    // lighttpd took fd 3 instead of binding (a bind would fail: the port is held).
    assert.deepEqual(listenersOf(treeOf(pid)), [`127.0.0.1:${d.port}`]);
    assert.equal(fdOfInode(pid, queued.inode), 3);
    const errors = lines(errorLog).slice(before);
    assert.ok(errors.some((l) => l.includes("server started")), errors.join("\n"));
    const access = lines(join(d.work, "access.log"));
    assert.ok(
      access.some((l) => l.includes('"GET /index.html?early HTTP/1.0" 200')),
      access.join("\n"),
    );
  } finally {
    killAll(treeOf(pid));
  }
});

/** Run as the restored parent: what its pipe and socket ends do once the child is not there. */
const PROBE = `
import errno, os, signal, socket, sys
signal.signal(signal.SIGPIPE, signal.SIG_IGN)
def attempt(f):
    try:
        return repr(f())
    except OSError as e:
        return errno.errorcode[e.errno]
s = socket.socket(fileno=26)
out = [attempt(lambda: os.write(25, b"x")), attempt(lambda: s.recv(9)), attempt(lambda: s.send(b"x"))]
open(sys.argv[1], "w").write(" ".join(out))
`;

Deno.test("--no-children: the child's files are not opened, and what it shared with the parent has no other end", async () => {
  if (!canDump("parent_child")) return;
  const d = await dumpReal("parent_child");
  // Had the child's file been opened, its absence would fail the restore.
  Deno.removeSync(join(d.work, "child-only.txt"));
  const out = join(d.work, "probe.txt");
  const r = await runCli([
    "restore",
    "-D",
    d.images,
    "--no-children",
    "--",
    "/usr/bin/python3",
    "-c",
    PROBE,
    out,
  ]);
  assert.equal(r.code, 0, r.stderr);
  // The pipe's reader and the socket's peer were the child's: EPIPE, end of file, EPIPE.
  assert.equal(Deno.readTextFileSync(out), "EPIPE b'' EPIPE");
  const whole = await runCli(["restore", "-D", d.images, "--", "/bin/true"]);
  assert.equal(whole.code, 125);
  assert.match(whole.stderr, /child-only\.txt/);
});
