/**
 * Real programs from Debian packages, dumped by real criu at test time with
 * the recipes in scripts/real/ (dump_nginx.sh, dump_lighttpd.sh, dump_dnsmasq.sh, and
 * dump_parent_child.sh for a small program of ours), and what
 * the tests look at afterwards: /proc/net/tcp, the processes' fds, HTTP.
 *
 * A missing program or criu is a visible skip on a developer's machine, and
 * a failure in CI (CI=true), where .ci/run installs them.
 */
import { join } from "node:path";
import { REPO_ROOT } from "./corpus.ts";
import { haveRoot } from "./root.ts";

export const CRIU: string = Deno.env.get("CRIU") ?? "/opt/criu4/bin/criu";

/** The programs each recipe needs (besides bash and gcc, which CI has). */
export const RECIPES = {
  nginx: ["/usr/sbin/nginx", "/usr/bin/curl"],
  lighttpd: ["/usr/sbin/lighttpd", "/usr/bin/curl"],
  dnsmasq: ["/usr/sbin/dnsmasq"],
  parent_child: ["/usr/bin/python3"],
} as const;
export type Recipe = keyof typeof RECIPES;

function executable(path: string): boolean {
  try {
    const st = Deno.statSync(path);
    return st.isFile && ((st.mode ?? 0) & 0o111) !== 0;
  } catch {
    return false;
  }
}

/**
 * True when `recipe` can run here. criu dumps as root only: as another user
 * this is a visible skip (CI's run as an ordinary user too). A missing
 * program skips visibly, but fails in CI.
 */
export function canDump(recipe: Recipe): boolean {
  if (!haveRoot(`real ${recipe}`)) return false;
  const missing: string[] = [...RECIPES[recipe], CRIU, "/usr/bin/gcc"].filter((p) =>
    !executable(p)
  );
  if (missing.length === 0) return true;
  const text = `real ${recipe}: missing ${missing.join(", ")}`;
  if (Deno.env.get("CI") === "true") throw new Error(`${text} (.ci/run installs them)`);
  console.log(`skipped: ${text}`);
  return false;
}

export interface RealDump {
  /** Work folder: config, logs, images/. */
  readonly work: string;
  readonly images: string;
  readonly port: number;
  /** The dumped root's pid. */
  readonly pid: number;
}

/** A loopback TCP port that is free now (the kernel picks it). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Runs scripts/real/dump_RECIPE.sh in a new folder; the program is dumped (and gone). */
export async function dumpReal(recipe: Recipe): Promise<RealDump> {
  const work = Deno.makeTempDirSync({ prefix: `fdrestore-${recipe}-` });
  const port = freePort();
  const script = join(REPO_ROOT, "scripts", "real", `dump_${recipe}.sh`);
  const out = await new Deno.Command(script, {
    args: [work, String(port)],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  if (!out.success) {
    throw new Error(`${script} failed (${out.code}): ${dec.decode(out.stderr)}`);
  }
  const pid = Number(dec.decode(out.stdout).trim().split("\n").pop());
  return { work, images: join(work, "images"), port, pid };
}

/** One socket line of /proc/net/tcp or tcp6. */
export interface TcpSocket {
  /** "127.0.0.1:8080", "[::1]:8080" (IPv6 shown as its hex words). */
  readonly local: string;
  readonly port: number;
  /** Two hex digits: 0A is LISTEN. */
  readonly state: string;
  /** For a listener: connections waiting in its accept queue. */
  readonly rxQueue: number;
  readonly inode: string;
}

function ipv4(hex: string): string {
  return [3, 2, 1, 0].map((i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16)).join(".");
}

/** Every TCP socket of this network namespace, IPv4 and IPv6. */
export function tcpSockets(): TcpSocket[] {
  const out: TcpSocket[] = [];
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of Deno.readTextFileSync(file).split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const [addr, port] = f[1].split(":");
      const host = addr.length === 8 ? ipv4(addr) : `[${addr}]`;
      out.push({
        local: `${host}:${parseInt(port, 16)}`,
        port: parseInt(port, 16),
        state: f[3],
        rxQueue: parseInt(f[4].split(":")[1], 16),
        inode: f[9],
      });
    }
  }
  return out;
}

/** The pid and all its descendants (through /proc/PID/task/TID/children). */
export function treeOf(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      for (const t of Deno.readDirSync(`/proc/${out[i]}/task`)) {
        const text = Deno.readTextFileSync(`/proc/${out[i]}/task/${t.name}/children`).trim();
        if (text) out.push(...text.split(" ").map(Number));
      }
    } catch {
      // gone
    }
  }
  return out;
}

/** Socket inodes held by these processes. */
export function socketInodes(pids: number[]): Set<string> {
  const out = new Set<string>();
  for (const pid of pids) {
    try {
      for (const e of Deno.readDirSync(`/proc/${pid}/fd`)) {
        const m = /^socket:\[(\d+)\]$/.exec(Deno.readLinkSync(`/proc/${pid}/fd/${e.name}`));
        if (m) out.add(m[1]);
      }
    } catch {
      // gone
    }
  }
  return out;
}

/** The listening TCP sockets these processes hold, as "address:port". */
export function listenersOf(pids: number[]): string[] {
  const mine = socketInodes(pids);
  return tcpSockets().filter((s) => s.state === "0A" && mine.has(s.inode)).map((s) => s.local)
    .sort();
}

/** The environment of a running process. */
export function environOf(pid: number): Map<string, string> {
  const text = Deno.readTextFileSync(`/proc/${pid}/environ`);
  return new Map(
    text.split("\0").filter(Boolean).map((
      kv,
    ) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
  );
}

/** SIGKILLs these pids (never by name). */
export function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // gone already
    }
  }
}

/** GET http://127.0.0.1:PORT/PATH: status and body. */
export async function httpGet(port: number, path = "/"): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    signal: AbortSignal.timeout(20_000),
  });
  return { status: res.status, body: await res.text() };
}

/**
 * A gate for the started program: `sh -c 'read go < FIFO; exec PROGRAM'`
 * keeps the restored fds, environment and pid, and waits until `open()` is
 * called, so a test can act before the program runs any code of its own.
 */
export function gate(work: string): { wrap: (program: string[]) => string[]; open: () => void } {
  const fifo = join(work, "gate");
  new Deno.Command("mkfifo", { args: [fifo] }).outputSync();
  return {
    wrap: (program) => [
      "/bin/sh",
      "-c",
      `read go < "$0" && exec "$@"`,
      fifo,
      ...program,
    ],
    open: () => Deno.writeTextFileSync(fifo, "go\n"),
  };
}

/** Polls `fn` until it returns a value (a deadline for failing, not a timing assertion). */
export async function eventually<T>(what: string, fn: () => T | undefined): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const v = fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting: ${what}`);
}

// Tasks started and dumped from TypeScript (tests/real_title_test.ts): redis-server and an nginx
// whose pids, fds and argv the test needs before the dump.

const SHIM_SOURCE = join(REPO_ROOT, "scripts", "real", "passcred_shim.c");

/**
 * True when root, criu, gcc and `programs` are there; else skips visibly. In
 * CI a missing program fails instead (root is a skip: CI also runs as a user).
 */
export function haveRealDump(what: string, programs: string[]): boolean {
  if (!haveRoot(what)) return false;
  const missing: string[] = [];
  for (const p of [CRIU, "/usr/bin/gcc", ...programs]) {
    try {
      if ((Deno.statSync(p).mode ?? 0) & 0o111) continue;
    } catch {
      // missing
    }
    missing.push(p);
  }
  if (missing.length === 0) return true;
  const message = `${what}: needs ${missing.join(", ")}`;
  if (Deno.env.get("CI") === "true") throw new Error(`${message} (.ci/run installs them)`);
  console.log(`skipped: ${message}`);
  return false;
}

/**
 * Starts `argv` in a new session (criu dumps whole sessions), stdin on
 * /dev/null, stdout and stderr appended to `log`, with only PATH set and no
 * other fd: what the test runner inherited (the lock `flock` holds) would be
 * dumped too.
 */
export function startLeader(argv: string[], opts: { cwd: string; log: string }): Deno.ChildProcess {
  const script = 'for fd in $(ls /proc/$$/fd); do [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done; ' +
    'exec setsid "$@" </dev/null >>"$LOG" 2>&1';
  return new Deno.Command("/bin/bash", {
    args: ["-c", script, "bash", ...argv],
    cwd: opts.cwd,
    clearEnv: true,
    env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LOG: opts.log },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
}

/** Polls `ready` every 50 ms until it is true, or fails after `ms`. */
export async function waitFor(what: string, ready: () => boolean | Promise<boolean>, ms = 10_000) {
  const end = Date.now() + ms;
  while (!(await ready())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `criu dump -t PID` into `images` (the tasks are killed by criu, as without --leave-running). */
export async function criuDump(pid: number, images: string, workDir: string): Promise<void> {
  const wrapper = Deno.readTextFileSync(CRIU);
  const m = /exec\s+(\S+)\s+--library-path\s+(\S+)\s+(\S+)/.exec(wrapper);
  if (!m) throw new Error(`cannot read the loader and libraries from ${CRIU}`);
  const shim = join(workDir, "passcred_shim.so");
  const gcc = await new Deno.Command("gcc", {
    args: ["-shared", "-fPIC", "-O2", "-o", shim, SHIM_SOURCE],
    stderr: "piped",
  }).output();
  if (!gcc.success) throw new Error(`gcc: ${new TextDecoder().decode(gcc.stderr)}`);
  Deno.mkdirSync(images, { recursive: true });
  const criu = new Deno.Command(m[1], {
    args: ["--library-path", m[2], "--preload", shim, m[3], "dump", "-t", String(pid)]
      .concat(["-D", images, "-o", "dump.log", "-v4"]),
    env: { CRIU_FAULT: "130" },
    stdout: "null",
    stderr: "null",
  }).spawn();
  const timer = setTimeout(() => criu.kill("SIGKILL"), 60_000);
  const status = await criu.status;
  clearTimeout(timer);
  if (!status.success) {
    const log = Deno.readTextFileSync(join(images, "dump.log")).split("\n");
    const errors = log.filter((l) => l.includes("Error") && !l.includes("RLIMIT_NOFILE"));
    throw new Error(`criu dump failed (${status.code}): ${errors.slice(0, 3).join(" | ")}`);
  }
}

/** Socket inodes listening on 127.0.0.1:`port` (/proc/net/tcp). */
export function tcpListeners(port: number): string[] {
  const want = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  return Deno.readTextFileSync("/proc/net/tcp").split("\n").slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[1] === want && f[3] === "0A")
    .map((f) => f[9]);
}

/** What fd `fd` of `pid` is (`socket:[123]`, a path), undefined when closed. */
export function fdTarget(pid: number, fd: number): string | undefined {
  try {
    return Deno.readLinkSync(`/proc/${pid}/fd/${fd}`);
  } catch {
    return undefined;
  }
}

/** argv of a live process. */
export function cmdline(pid: number): string[] {
  return Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0").slice(0, -1);
}

/** The environment of a live process. */
export function environ(pid: number): string[] {
  return Deno.readTextFileSync(`/proc/${pid}/environ`).split("\0").slice(0, -1);
}

/** The children of a live process. */
export function childrenOf(pid: number): number[] {
  const text = Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`).trim();
  return text === "" ? [] : text.split(" ").map(Number);
}

/** Pids of the processes whose cwd is `dir` (a restore recreates the dumped cwd). */
export function processesIn(dir: string): number[] {
  const out: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^[0-9]+$/.test(e.name)) continue;
    try {
      if (Deno.readLinkSync(`/proc/${e.name}/cwd`) === dir) out.push(Number(e.name));
    } catch {
      // gone, or a kernel thread
    }
  }
  return out;
}

/** SIGKILLs every process whose cwd is `dir` (what a test's restore started). */
export function killProcessesIn(dir: string): void {
  for (let round = 0; round < 10; round++) {
    const pids = processesIn(dir);
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
}
