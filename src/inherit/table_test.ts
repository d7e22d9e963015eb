import assert from "node:assert/strict";
import { LOG_LEVEL, Logger } from "../log.ts";
import { EXIT } from "../errors.ts";
import {
  close,
  dup2,
  FD_CLOEXEC,
  fstat,
  getFdFlags,
  O,
  open,
  pipe2,
  read,
  readlink,
  writeAll,
} from "../sys/mod.ts";
import { InheritFdError } from "./error.ts";
import { pipeKey, regFileKey } from "./keys.ts";
import { InheritFdTable } from "./table.ts";

const BASE = 700;

/** A logger that keeps its lines, without criu's timestamps. */
function memoryLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = new Logger(LOG_LEVEL.DEBUG, (l) => lines.push(l.replace(/^\(\s*[\d.]+\) /, "")));
  return { logger, lines };
}

function table(logger = memoryLogger().logger): InheritFdTable {
  return new InheritFdTable({ stageBase: BASE, logger });
}

function openFds(): number[] {
  return [...Deno.readDirSync("/proc/self/fd")].map((e) => Number(e.name)).sort((a, b) => a - b);
}

function isOpen(fd: number): boolean {
  try {
    fstat(fd);
    return true;
  } catch {
    return false;
  }
}

/** A pipe whose ends are inheritable, like fds handed over by a caller. */
function callerPipe(): { r: number; w: number; key: string } {
  const [r, w] = pipe2(0);
  return { r, w, key: pipeKey(fstat(r).ino) };
}

function readText(fd: number): string {
  const buf = new Uint8Array(new ArrayBuffer(256));
  return new TextDecoder().decode(buf.subarray(0, read(fd, buf)));
}

function freeFd(): number {
  const used = new Set(openFds());
  let n = 4321;
  while (used.has(n)) n++;
  return n;
}

function inheritError(message: string, exitCode: number = EXIT.INHERIT) {
  return (e: unknown) => {
    assert.ok(e instanceof InheritFdError, String(e));
    assert.equal(e.message, message);
    assert.equal(e.exitCode, exitCode);
    return true;
  };
}

Deno.test("pipeKey and regFileKey equal what readlink shows, minus the slash", () => {
  const p = callerPipe();
  assert.equal(p.key, readlink(`/proc/self/fd/${p.r}`));
  const tmp = Deno.makeTempFileSync();
  const fd = open(tmp, O.RDONLY);
  assert.equal(regFileKey(readlink(`/proc/self/fd/${fd}`)), tmp.slice(1));
  [p.r, p.w, fd].forEach(close);
  Deno.removeSync(tmp);
});

Deno.test("add fails with criu's fstat message when N is not open", () => {
  const n = freeFd();
  const t = table();
  assert.throws(
    () => t.add(`fd[${n}]:pipe:[1]`),
    inheritError(`Can't fstat inherit fd ${n}: Bad file descriptor`),
  );
  assert.equal(t.size, 0);
});

Deno.test("a debug message lands in a real pipe, without a newline", () => {
  const p = callerPipe();
  const t = table();
  assert.equal(t.add(`debug[${p.w}]:restored: marker`), undefined);
  assert.equal(readText(p.r), "restored: marker");
  assert.equal(t.size, 0);
  assert.ok(isOpen(p.w), "debug[N] does not take N");
  [p.r, p.w].forEach(close);
});

Deno.test("a debug message is written before a later invalid argument fails", () => {
  const p = callerPipe();
  const t = table();
  assert.throws(() => {
    for (const arg of [`debug[${p.w}]:first`, "fd[x]:foo"]) t.add(arg);
  }, inheritError("Invalid inherit fd argument: fd[x]:foo"));
  assert.equal(readText(p.r), "first");
  [p.r, p.w].forEach(close);
});

Deno.test("a debug message to a closed fd fails with criu's message", () => {
  const n = freeFd();
  assert.throws(
    () => table().add(`debug[${n}]:hello`),
    inheritError(`Can't write debug message hello to inherit fd ${n}`),
  );
});

Deno.test("staging closes N and keeps a close-on-exec copy at or above the base", () => {
  const p = callerPipe();
  const t = table();
  const e = t.add(`fd[${p.w}]:${p.key}`);
  assert.ok(e);
  assert.equal(e.key, p.key);
  assert.equal(e.fd, p.w);
  assert.ok(e.staged >= BASE, `staged at ${e.staged}`);
  assert.equal(getFdFlags(e.staged) & FD_CLOEXEC, FD_CLOEXEC);
  assert.equal(e.identity.ino, fstat(p.r).ino);
  assert.equal(isOpen(p.w), false, "N is closed");
  assert.equal(t.isInheritedFd(p.w), true);
  assert.equal(t.isInheritedFd(p.r), false);
  t.finish();
  close(p.r);
});

Deno.test("a restored fd can take N's number while the inherited pipe stays usable", () => {
  const p = callerPipe();
  const t = table();
  t.add(`fd[${p.w}]:${p.key}`);
  // the restore now needs number N for a file of its own
  const other = open("/dev/null", O.RDONLY);
  const clash = other === p.w ? other : dup2(other, p.w);
  assert.equal(clash, p.w);
  const got = t.take(p.key);
  assert.ok(got);
  assert.notEqual(got.fd, p.w);
  assert.notEqual(got.fd, t.lookup(p.key)?.staged, "a fresh duplicate, not the staged copy");
  assert.equal(got.inheritFd, p.w);
  assert.equal(getFdFlags(got.fd) & FD_CLOEXEC, FD_CLOEXEC);
  writeAll(got.fd, new TextEncoder().encode("through the inherited pipe"));
  assert.equal(readText(p.r), "through the inherited pipe");
  assert.equal(fstat(p.w).rdev, fstat(other).rdev, "N still is the restore's own file");
  [...new Set([got.fd, other, clash, p.r])].forEach(close);
  t.finish();
});

Deno.test("take refuses a staged copy replaced behind the table's back", () => {
  const p = callerPipe();
  const t = table();
  const e = t.add(`fd[${p.w}]:${p.key}`);
  assert.ok(e);
  const staged = e.staged;
  const other = open("/dev/null", O.RDONLY);
  dup2(other, staged);
  assert.throws(
    () => t.take(p.key),
    (err: unknown) => {
      assert.ok(err instanceof InheritFdError);
      assert.match(
        err.message,
        new RegExp(
          `^Inherit fd ${p.w} \\(key pipe:\\[\\d+\\]\\) was replaced behind fdrestore's back: ` +
            `staged copy fd ${staged} now refers to another file \\(ino \\d+, was \\d+\\)$`,
        ),
      );
      assert.equal(err.fd, p.w);
      assert.equal(err.key, p.key);
      assert.equal(err.exitCode, EXIT.INHERIT);
      return true;
    },
  );
  t.finish();
  assert.ok(isOpen(staged), "finish leaves a number that is not the table's any more");
  [staged, other, p.r].forEach(close);
});

Deno.test("take refuses a staged copy closed behind the table's back", () => {
  const p = callerPipe();
  const t = table();
  const e = t.add(`fd[${p.w}]:${p.key}`);
  assert.ok(e);
  const staged = e.staged;
  close(staged);
  assert.throws(
    () => t.take(p.key),
    inheritError(
      `Inherit fd ${p.w} (key ${p.key}) was closed behind fdrestore's back ` +
        `(staged copy fd ${staged}: Bad file descriptor)`,
    ),
  );
  t.finish();
  close(p.r);
});

Deno.test("with a repeated key the first entry wins and the second is closed at finish", () => {
  const a = callerPipe();
  const b = callerPipe();
  const { logger, lines } = memoryLogger();
  const t = table(logger);
  t.add(`fd[${a.w}]:shared`);
  const second = t.add(`fd[${b.w}]:shared`);
  assert.ok(second?.duplicate);
  assert.equal(t.lookup("shared")?.fd, a.w);
  const got = t.take("shared");
  assert.ok(got);
  assert.equal(fstat(got.fd).ino, fstat(a.r).ino);
  const stagedB = second.staged;
  const unmatched = t.finish();
  assert.deepEqual(unmatched.map((e) => e.fd), [b.w]);
  assert.equal(isOpen(stagedB), false);
  assert.deepEqual(lines, [`Found id shared (fd ${a.w}) in inherit fd list\n`]);
  [got.fd, a.r, b.r].forEach(close);
});

Deno.test("one fd may be given for two keys", () => {
  const p = callerPipe();
  const t = table();
  const one = t.add(`fd[${p.w}]:k1`);
  const two = t.add(`fd[${p.w}]:k2`);
  assert.ok(one && two);
  assert.notEqual(one.staged, two.staged);
  assert.deepEqual(two.identity, one.identity);
  t.finish();
  close(p.r);
});

Deno.test("a close-on-exec N is refused: it belongs to the runtime, not the caller", () => {
  const [r, w] = pipe2(O.CLOEXEC);
  assert.throws(
    () => table().add(`fd[${w}]:k`),
    inheritError(
      `Can't use inherit fd ${w}: it is close-on-exec, so it was not inherited from the caller`,
    ),
  );
  assert.ok(isOpen(w), "a refused N is left alone");
  [r, w].forEach(close);
});

Deno.test("fds 0-2 are staged but left open", { ignore: !isOpen(0) }, () => {
  const t = table();
  const e = t.add("fd[0]:stdin");
  assert.ok(e && e.staged >= BASE);
  assert.ok(isOpen(0));
  t.finish();
  assert.ok(isOpen(0));
});

Deno.test("log prints criu's line for every entry and describe one line each", () => {
  const p = callerPipe();
  const { logger, lines } = memoryLogger();
  const t = table(logger);
  const e = t.add(`fd[${p.w}]:${p.key}`);
  t.add(`fd[${p.r}]:${p.key}`);
  t.log();
  assert.deepEqual(lines, [
    `File ${p.key} will be restored from inherit fd ${p.w}\n`,
    `File ${p.key} will be restored from inherit fd ${p.r}\n`,
  ]);
  const d = t.describe();
  assert.equal(d.length, 2);
  assert.equal(
    d[0],
    `inherit fd ${p.w} -> ${p.key} (staged at fd ${e?.staged}, mode 010600, ino ${
      fstat(e?.staged ?? -1).ino
    }, used 0x)`,
  );
  assert.match(d[1], /, duplicate key: never used\)$/);
  t.finish();
  assert.match(t.describe()[0], /\(released, /);
});

Deno.test("take returns undefined for a key nobody inherited", () => {
  assert.equal(table().take("pipe:[1]"), undefined);
});

Deno.test("finish may run twice and stage after finish is a bug", () => {
  const p = callerPipe();
  const t = table();
  t.add(`fd[${p.w}]:k`);
  assert.equal(t.finish().length, 1);
  assert.equal(t.finish().length, 1);
  assert.throws(() => t.add(`fd[${p.r}]:k`), /stage\(\) after finish\(\)/);
  close(p.r);
});

Deno.test("stage, take and finish leak no fd", () => {
  const before = openFds();
  const pipes = [callerPipe(), callerPipe(), callerPipe()];
  const t = table();
  for (const p of pipes) t.add(`fd[${p.w}]:${p.key}`);
  t.add(`fd[${pipes[0].r}]:${pipes[0].key}`); // duplicate key
  const marker = callerPipe();
  t.add(`debug[${marker.w}]:x`);
  [marker.r, marker.w].forEach(close);
  const got = t.take(pipes[1].key);
  if (got) close(got.fd);
  t.finish();
  close(pipes[1].r); // pipes[0].r was staged, so closed by the table
  close(pipes[2].r);
  assert.deepEqual(openFds(), before);
});
