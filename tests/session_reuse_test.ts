/**
 * A library caller loads a checkpoint once and runs `check`, then two
 * restores of its files, in one process: each restore session starts from
 * nothing (no pipe data "restored twice", no ghost fd left from the last
 * one), and every run's descriptors match the corpus's ground truth.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { InheritFdTable } from "../src/inherit/mod.ts";
import { LOG_LEVEL, Logger } from "../src/log.ts";
import { loadCheckpoint } from "../src/model/mod.ts";
import { openFiles } from "../src/restore/open_files.ts";
import { close, fstat, getFlags, lseek, O, open, read, SEEK } from "../src/sys/mod.ts";
import { CORPUS, haveCorpus, imagesOf } from "./support/corpus.ts";
import { prepareCorpus } from "./support/fault_sweep.ts";
import { haveRoot } from "./support/root.ts";

interface TruthFd {
  fd: number;
  kind: string;
  object: string;
  access: string;
  pos: number;
  end?: string;
  size?: number;
  sha256?: string;
}

interface Truth {
  tasks: Record<string, { pid: number; fds: TruthFd[] }>;
  objects: Record<string, { data?: { hex: string } }>;
}

const ACCESS: Record<string, number> = { O_RDONLY: O.RDONLY, O_WRONLY: O.WRONLY, O_RDWR: O.RDWR };

/** Everything a fresh description of `fd` reads, from offset 0 (a pipe: what it holds). */
function contents(fd: number, pipe: boolean): Uint8Array {
  const again = open(`/proc/self/fd/${fd}`, O.RDONLY | O.NONBLOCK | O.CLOEXEC);
  const parts: number[] = [];
  const buf = new Uint8Array(1 << 16);
  try {
    for (;;) {
      let n: number;
      try {
        n = read(again, buf);
      } catch (e) {
        if (pipe) break; // EAGAIN: the pipe is empty now
        throw e;
      }
      if (n === 0) break;
      for (let i = 0; i < n; i++) parts.push(buf[i]);
    }
  } finally {
    close(again);
  }
  return new Uint8Array(parts);
}

function hexOf(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

for (const name of ["pipes", "ghost-file", "memfd", "unix-sockets"]) {
  Deno.test(`one loaded ${name} checkpoint: check, then two restores of its files, all correct`, () => {
    if (!haveCorpus(`session reuse (${name})`) || !haveRoot(`session reuse (${name})`)) return;
    prepareCorpus(CORPUS, name);
    const truth: Truth = JSON.parse(Deno.readTextFileSync(join(CORPUS, name, "truth.json")));
    const cp = loadCheckpoint(imagesOf(name));
    const lines: string[] = [];
    const log = new Logger(LOG_LEVEL.DEBUG, (l) => lines.push(l));
    const owners = cp.tasks.filter((t) => t.tableOwner === t);
    for (const run of ["check", "restore 1", "restore 2"]) {
      const inherit = new InheritFdTable({ callerFdsOnly: false, logger: log });
      const session = openFiles(cp, owners, {
        root: "/",
        inherit,
        log,
        dryRun: run === "check",
      });
      let compared = 0;
      try {
        for (const t of Object.values(truth.tasks)) {
          const task = cp.tasks.find((x) => x.pid === t.pid)!;
          const inoOf = new Map<string, bigint>();
          for (const want of t.fds) {
            const what = `${run}: fd ${want.fd} of task ${t.pid} (${want.kind})`;
            const entry = task.fds.find((e) => e.fd === want.fd);
            assert.ok(entry, `${what}: in the images`);
            const fd = session.tableFd(task, entry)!;
            const ino = fstat(fd).ino;
            const same = inoOf.get(want.object);
            if (same === undefined) inoOf.set(want.object, ino);
            else assert.equal(ino, same, `${what}: shares its object's inode`);
            assert.equal(getFlags(fd) & O.ACCMODE, ACCESS[want.access], `${what}: access mode`);
            if (want.kind === "reg" || want.kind === "memfd") {
              assert.equal(Number(lseek(fd, 0n, SEEK.CUR)), want.pos, `${what}: offset`);
            }
            if (want.sha256 !== undefined) {
              const bytes = contents(fd, false);
              assert.equal(bytes.length, want.size, `${what}: size`);
              assert.equal(createHash("sha256").update(bytes).digest("hex"), want.sha256, what);
            }
          }
          // Pipe contents last: reading empties them.
          for (const want of t.fds) {
            const data = truth.objects[want.object]?.data;
            if (want.kind !== "pipe" || want.end !== "read" || !data) continue;
            const fd = session.tableFd(task, task.fds.find((e) => e.fd === want.fd)!)!;
            const got = hexOf(contents(fd, true));
            if (got === "") continue; // another read end of the object was read already
            assert.equal(got, data.hex, `${run}: fd ${want.fd}: the pipe's bytes`);
            compared++;
          }
          compared += t.fds.filter((f) => f.sha256 !== undefined).length;
        }
        // Every scenario but unix-sockets has contents to compare.
        assert.ok(compared > 0 || name === "unix-sockets", `${run}: no contents compared`);
      } finally {
        session.release();
        inherit.finish();
      }
    }
    assert.ok(!lines.some((l) => /twice/.test(l)), lines.join("\n"));
  });
}
