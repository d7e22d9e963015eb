/**
 * The hand-off options on the corpus's `inet-sockets` (TCP listeners at fd 3
 * on 127.0.0.1:47001 and fd 5 on [::1]:47003, fd 10 a dup of fd 3), with a
 * started program that stays to be looked at through /proc; and
 * `--status-fd` and tasks that end at once.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { FDRESTORE, runCli } from "./support/cli.ts";
import { haveCorpus, imagesOf } from "./support/corpus.ts";
import { environOf, killAll, tcpSockets } from "./support/real_dump.ts";

const TASK = 6972;

/** Restores inet-sockets detached on `program`; returns the started pid. */
async function restoreInet(args: string[], env: Record<string, string> = {}): Promise<number> {
  const pidfile = join(Deno.makeTempDirSync(), "pid");
  const r = await runCli(
    [
      "restore",
      "-D",
      imagesOf("inet-sockets"),
      "-d",
      "--pidfile",
      pidfile,
      ...args,
      "--",
      "/bin/sleep",
      "1000",
    ],
    { env },
  );
  assert.equal(r.code, 0, r.stderr);
  return Number(Deno.readTextFileSync(pidfile));
}

/** fd → the local address of the TCP socket there (undefined for anything else). */
function tcpFds(pid: number): Map<number, string | undefined> {
  const byInode = new Map(tcpSockets().map((s) => [s.inode, s.local]));
  const out = new Map<number, string | undefined>();
  for (const e of Deno.readDirSync(`/proc/${pid}/fd`)) {
    const m = /^socket:\[(\d+)\]$/.exec(Deno.readLinkSync(`/proc/${pid}/fd/${e.name}`));
    out.set(Number(e.name), m ? byInode.get(m[1]) : undefined);
  }
  return new Map([...out].sort(([a], [b]) => a - b));
}

const V6_LOOPBACK = "[00000000000000000000000001000000]";

Deno.test("--listen-fds=5:v6,3:v4: those sockets at 3 and 4 in that order, stdio, nothing else", async () => {
  if (!haveCorpus("--listen-fds")) return;
  const pid = await restoreInet(["--listen-fds=5:v6,3:v4"]);
  try {
    assert.deepEqual(
      [...tcpFds(pid)],
      [[0, undefined], [1, undefined], [2, undefined], [3, `${V6_LOOPBACK}:47003`], [
        4,
        "127.0.0.1:47001",
      ]],
    );
    const env = environOf(pid);
    assert.equal(env.get("LISTEN_PID"), String(pid));
    assert.equal(env.get("LISTEN_FDS"), "2");
    assert.equal(env.get("LISTEN_FDNAMES"), "v6:v4");
  } finally {
    killAll([pid]);
  }
});

Deno.test("--listen-fds passes every listening socket once (a dup is not passed twice), named fdN", async () => {
  if (!haveCorpus("--listen-fds")) return;
  const pid = await restoreInet(["--listen-fds"]);
  try {
    const fds = tcpFds(pid);
    assert.deepEqual([...fds.keys()], [0, 1, 2, 3, 4]);
    assert.equal(fds.get(3), "127.0.0.1:47001");
    assert.equal(environOf(pid).get("LISTEN_FDNAMES"), "fd3:fd5");
  } finally {
    killAll([pid]);
  }
});

Deno.test("--fds-env NGINX lists each listening socket once at its number; NOTIFY_SOCKET is mine", async () => {
  if (!haveCorpus("--fds-env")) return;
  const pid = await restoreInet(["--fds-env", "NGINX"], { NOTIFY_SOCKET: "/run/test-notify" });
  try {
    const env = environOf(pid);
    assert.equal(env.get("NGINX"), "3;5;");
    assert.equal(env.get("NOTIFY_SOCKET"), "/run/test-notify");
    assert.equal(env.has("LISTEN_PID"), false);
    const fds = tcpFds(pid);
    assert.equal(fds.get(3), "127.0.0.1:47001");
    assert.equal(fds.get(10), "127.0.0.1:47001"); // the rest of the table is as dumped
    assert.equal(fds.get(5), `${V6_LOOPBACK}:47003`);
  } finally {
    killAll([pid]);
  }
});

/**
 * Restores inet-sockets detached with `--status-fd 3`, fd 3 being a new
 * file; returns the result and what the file got.
 */
async function withStatusFd(
  args: string[],
): Promise<{ code: number; stderr: string; bytes: Uint8Array }> {
  const status = join(Deno.makeTempDirSync(), "status");
  const restore = ["restore", "-D", imagesOf("inet-sockets"), "-d", "--status-fd", "3"];
  const out = await new Deno.Command("/bin/sh", {
    args: ["-c", `exec "$@" 3>"${status}"`, "sh", FDRESTORE, ...restore, ...args],
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stderr: new TextDecoder().decode(out.stderr),
    bytes: Deno.readFileSync(status),
  };
}

Deno.test("--status-fd gets one zero byte once the tasks run", async () => {
  if (!haveCorpus("--status-fd")) return;
  const pidfile = join(Deno.makeTempDirSync(), "pid");
  const r = await withStatusFd(["--pidfile", pidfile, "--", "/bin/sleep", "1000"]);
  killAll([Number(Deno.readTextFileSync(pidfile))]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual([...r.bytes], [0]);
});

Deno.test("a task that fails at once is named; detached, the restore fails and --status-fd gets nothing", async () => {
  if (!haveCorpus("early exits")) return;
  const r = await withStatusFd(["-v3", "--", "/bin/sh", "-c", "exit 3"]);
  assert.equal(r.code, 125, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(
      `\\n\\(.*\\) task ${TASK}: its stdout was /dev/null \\(chr\\), its stderr /dev/null \\(chr\\)\\n`,
    ),
  );
  assert.match(
    r.stderr,
    new RegExp(
      `\\nfdrestore: error: task ${TASK} \\(pid \\d+, /bin/sh\\) exited with status 3 at once\\n$`,
    ),
  );
  assert.deepEqual([...r.bytes], []);
});

Deno.test("in the foreground a task that fails at once is named and its status is fdrestore's", async () => {
  if (!haveCorpus("early exits")) return;
  const r = await runCli([
    "restore",
    "-D",
    imagesOf("inet-sockets"),
    "--",
    "/bin/sh",
    "-c",
    "exit 3",
  ]);
  assert.equal(r.code, 3);
  assert.match(
    r.stderr,
    new RegExp(`^Warn: task ${TASK} \\(pid \\d+, /bin/sh\\) exited with status 3 at once\\n$`),
  );
});
