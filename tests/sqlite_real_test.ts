/**
 * A real SQLite user: a sqlite3 shell inside an open write transaction
 * (`BEGIN EXCLUSIVE; INSERT ...`), dumped by real criu with --file-locks at
 * test time (scripts/real/dump_sqlite.sh). Real criu restores the images,
 * then fdrestore does: the database and its journal (both opened O_NOFOLLOW
 * by SQLite) and the POSIX lock must be what criu's restore has, and the lock
 * must keep another sqlite3 out until the restored task ends.
 *
 * Needs root (else a visible skip), sqlite3 and criu: missing ones are a
 * visible skip on a developer's machine, a failure in CI (CI=true), where
 * .ci/run installs them.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "./support/cli.ts";
import { REPO_ROOT } from "./support/corpus.ts";
import { type ProcFd, procFds } from "./support/proc_fds.ts";

const CRIU = Deno.env.get("CRIU") ?? "/opt/criu4/bin/criu";
const SQLITE3 = "/usr/bin/sqlite3";
const O_CLOEXEC = 0o2000000;

function canRun(): boolean {
  // criu needs root: the ordinary-user pass of CI (scripts/test_as_user.sh) skips it.
  if (Deno.uid() !== 0) {
    console.log("skipped: real sqlite3: needs root");
    return false;
  }
  const missing = [SQLITE3, CRIU].filter((p) => {
    try {
      return !Deno.statSync(p).isFile;
    } catch {
      return true;
    }
  });
  if (missing.length === 0) return true;
  const text = `real sqlite3: missing ${missing.join(", ")}`;
  if (Deno.env.get("CI") === "true") throw new Error(`${text} (.ci/run installs them)`);
  console.log(`skipped: ${text}`);
  return false;
}

async function run(cmd: string, args: string[], opts: Deno.CommandOptions = {}) {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped", ...opts })
    .output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", Deno.readFileSync(path));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function killAndWait(pid: number): Promise<void> {
  try {
    Deno.kill(pid, "SIGKILL");
  } catch {
    return; // gone already
  }
  for (let i = 0; i < 100; i++) {
    try {
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      if (stat.split(") ")[1]?.startsWith("Z")) return; // dead; its parent reaps it
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** What must be equal: the close-on-exec bit aside (kept open by design, README). */
function comparable(fds: ProcFd[]) {
  return fds.map((f) => ({ ...f, flags: (parseInt(f.flags, 8) & ~O_CLOEXEC).toString(8) }));
}

Deno.test("a sqlite3 shell in a write transaction comes back with criu's files and POSIX lock", async () => {
  if (!canRun()) return;
  const work = Deno.makeTempDirSync({ prefix: "fdrestore-sqlite-" });
  const db = join(work, "shop.db");
  const pids: number[] = [];
  try {
    const dump = await run(join(REPO_ROOT, "scripts", "real", "dump_sqlite.sh"), [work], {
      stdin: "null",
    });
    assert.equal(dump.code, 0, dump.stderr);
    const files = [db, `${db}-journal`];
    const dumped = await Promise.all(files.map(sha256));

    // criu's restore, stopped before it runs: the truth.
    const criu = await run(CRIU, [
      "restore",
      "-D",
      join(work, "images"),
      "-o",
      join(work, "restore.log"),
      "-v4",
      "--file-locks",
      "-d",
      "--leave-stopped",
      "--pidfile",
      join(work, "criu.pid"),
    ], { env: { CRIU_FAULT: "130" } }); // see dump_sqlite.sh
    assert.equal(criu.code, 0, criu.stderr);
    const criuPid = Number(Deno.readTextFileSync(join(work, "criu.pid")));
    pids.push(criuPid);
    const truth = procFds(criuPid);
    await killAndWait(criuPid);
    assert.deepEqual(await Promise.all(files.map(sha256)), dumped, "criu's restore left them");
    const lockOf = (fds: ProcFd[]) => fds.find((f) => f.path === db)?.locks;
    assert.deepEqual(lockOf(truth), [{
      kind: "POSIX",
      rw: "WRITE",
      owner: "self",
      start: "1073741824", // SQLite's lock bytes: PENDING, RESERVED, SHARED
      end: "1073742335",
    }]);

    // fdrestore's, with a holder in place of the shell (its memory is not restored).
    const r = await runCli([
      "restore",
      "-D",
      join(work, "images"),
      "--file-locks",
      "-d",
      "--pidfile",
      join(work, "fdrestore.pid"),
      "--",
      "/bin/sleep",
      "600",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const pid = Number(Deno.readTextFileSync(join(work, "fdrestore.pid")));
    pids.push(pid);
    assert.deepEqual(comparable(procFds(pid)), comparable(truth));
    assert.deepEqual(await Promise.all(files.map(sha256)), dumped);

    // The lock works: another sqlite3 is kept out until the restored task ends.
    const locked = await run(SQLITE3, [db, "SELECT count(*) FROM items;"]);
    assert.notEqual(locked.code, 0);
    assert.match(locked.stderr, /database is locked/);
    await killAndWait(pid);
    const after = await run(SQLITE3, [db, "SELECT count(*) FROM items;"]);
    assert.equal(after.code, 0, after.stderr);
    assert.equal(after.stdout.trim(), "2", "the uncommitted INSERT is not there");
  } finally {
    for (const pid of pids) await killAndWait(pid);
    Deno.removeSync(work, { recursive: true });
  }
});
