import assert from "node:assert/strict";
import { MFD, O, SIG } from "./consts.ts";
import { close, fstat, open, pipe2, read } from "./fd.ts";
import { memfdCreate } from "./kinds.ts";
import { kill, waitpid } from "./proc.ts";
import { childMoves, spawn } from "./spawn.ts";
import { leakChecked } from "./_testing.ts";

const ENV = ["PATH=/usr/bin:/bin"];

/** Reads /proc/PID/fd once the child's fd table has settled after exec. */
async function childFds(pid: number, expected: number): Promise<number[]> {
  let fds: number[] = [];
  for (let i = 0; i < 200; i++) {
    fds = [...Deno.readDirSync(`/proc/${pid}/fd`)].map((e) => Number(e.name)).sort((a, b) => a - b);
    const exe = Deno.readLinkSync(`/proc/${pid}/exe`);
    if (exe.endsWith("/sleep") && fds.length === expected) {
      await new Promise((r) => setTimeout(r, 20)); // and stays so (ld.so is done)
      return [...Deno.readDirSync(`/proc/${pid}/fd`)].map((e) => Number(e.name)).sort((a, b) =>
        a - b
      );
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return fds;
}

function status(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of Deno.readTextFileSync(`/proc/${pid}/status`).split("\n")) {
    const [k, v] = line.split(":\t");
    if (v !== undefined) out[k] = v.trim();
  }
  return out;
}

/** pgrp and session of a process from /proc/PID/stat. */
function ids(pid: number): { pgrp: number; session: number } {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { pgrp: Number(f[2]), session: Number(f[3]) };
}

function reap(pid: number): void {
  kill(pid, SIG.KILL);
  assert.deepEqual(waitpid(pid), { exited: true, code: null, signal: SIG.KILL });
}

function sleeper(fds: Map<number, number>, extra: Partial<Parameters<typeof spawn>[0]> = {}) {
  return spawn({ path: "/bin/sleep", argv: ["sleep", "30"], env: ENV, fds, ...extra });
}

Deno.test(
  "spawn places 500 fds with gaps exactly, open across exec, and nothing else",
  leakChecked(async () => {
    const files = Array.from({ length: 10 }, (_, i) => memfdCreate(`s${i}`, MFD.CLOEXEC));
    const map = new Map<number, number>();
    for (let t = 0; map.size < 500; t++) if (t % 6 !== 5) map.set(t, files[t % 10]);
    try {
      const pid = sleeper(map);
      try {
        const fds = await childFds(pid, 500);
        assert.deepEqual(fds, [...map.keys()]);
        for (const [t, src] of map) {
          assert.equal(
            Deno.readLinkSync(`/proc/${pid}/fd/${t}`),
            `/memfd:s${files.indexOf(src)} (deleted)`,
          );
          const flags =
            /flags:\s+(\d+)/.exec(Deno.readTextFileSync(`/proc/${pid}/fdinfo/${t}`))![1];
          assert.equal(parseInt(flags, 8) & O.CLOEXEC, 0, `fd ${t} is close-on-exec`);
        }
        assert.deepEqual(waitpid(pid, { nohang: true }), {
          exited: false,
          code: null,
          signal: null,
        });
      } finally {
        reap(pid);
      }
    } finally {
      for (const f of files) close(f);
    }
  }),
);

Deno.test(
  "spawn places sources that sit at target numbers: swapped, shared and chained",
  leakChecked(async () => {
    const [a, b, c] = ["a", "b", "c"].map((n) => memfdCreate(n, MFD.CLOEXEC));
    const top = Math.max(a, b, c) + 1;
    // a and b swap (a cycle), c takes a's file too, and c's own file moves up to `top`.
    const map = new Map([[a, b], [b, a], [c, a], [top, c]]);
    try {
      const pid = sleeper(map);
      try {
        assert.deepEqual(await childFds(pid, 4), [...map.keys()].sort((x, y) => x - y));
        const name = (t: number) => Deno.readLinkSync(`/proc/${pid}/fd/${t}`);
        assert.deepEqual([name(a), name(b), name(c), name(top)], [
          "/memfd:b (deleted)",
          "/memfd:a (deleted)",
          "/memfd:a (deleted)",
          "/memfd:c (deleted)",
        ]);
      } finally {
        reap(pid);
      }
    } finally {
      for (const f of [a, b, c]) close(f);
    }
  }),
);

Deno.test(
  "childMoves orders dup2s so no needed source is overwritten, through one spare per cycle",
  () => {
    // Two disjoint swaps: each cycle borrows the same spare in turn.
    const { dup2, spares } = childMoves(new Map([[3, 4], [4, 3], [6, 7], [7, 6], [5, 5]]));
    assert.deepEqual(spares, [0]);
    const table = new Map([[3, "x"], [4, "y"], [5, "z"], [6, "u"], [7, "v"]]);
    for (const [from, to] of dup2) table.set(to, table.get(from)!);
    assert.deepEqual([3, 4, 5, 6, 7].map((t) => table.get(t)), ["y", "x", "z", "v", "u"]);
    assert.deepEqual(dup2[0], [5, 5], "a source at its target only loses close-on-exec");
  },
);

Deno.test(
  "spawn with no fds gives the program an empty fd table",
  leakChecked(async () => {
    const pid = sleeper(new Map());
    try {
      assert.deepEqual(await childFds(pid, 0), []);
    } finally {
      reap(pid);
    }
  }),
);

Deno.test(
  "spawn resets signal dispositions and the mask; without sigdefault SIGPIPE stays ignored",
  leakChecked(() => {
    const pid = sleeper(new Map());
    try {
      const s = status(pid);
      assert.equal(s.SigIgn, "0000000000000000");
      assert.equal(s.SigBlk, "0000000000000000");
    } finally {
      reap(pid);
    }
    const kept = sleeper(new Map(), { sigdefault: false });
    try {
      const ign = BigInt(`0x${status(kept).SigIgn}`);
      assert.equal(
        (ign >> BigInt(SIG.PIPE - 1)) & 1n,
        1n,
        "Deno ignores SIGPIPE and that is inherited",
      );
    } finally {
      reap(kept);
    }
  }),
);

Deno.test(
  "spawn keeps a signal of keepIgnored ignored in the child and resets every other",
  leakChecked(() => {
    // Deno ignores SIGPIPE in this process: the one ignore a test can rely on.
    const pid = sleeper(new Map(), { keepIgnored: [SIG.PIPE] });
    try {
      assert.equal(status(pid).SigIgn, (1 << (SIG.PIPE - 1)).toString(16).padStart(16, "0"));
    } finally {
      reap(pid);
    }
  }),
);

Deno.test(
  "spawn with setsid starts a new session, with setpgroup 0 a new group",
  leakChecked(() => {
    const a = sleeper(new Map(), { setsid: true });
    const b = sleeper(new Map(), { setpgroup: 0 });
    try {
      assert.deepEqual(ids(a), { pgrp: a, session: a });
      assert.deepEqual(ids(b), { pgrp: b, session: ids(Deno.pid).session });
      assert.throws(() => sleeper(new Map(), { setsid: true, setpgroup: 0 }), TypeError);
    } finally {
      reap(a);
      reap(b);
    }
  }),
);

Deno.test(
  "spawn starts the program in cwd",
  leakChecked(() => {
    const dir = Deno.realPathSync(Deno.makeTempDirSync());
    try {
      const pid = sleeper(new Map(), { cwd: dir });
      try {
        assert.equal(Deno.readLinkSync(`/proc/${pid}/cwd`), dir);
      } finally {
        reap(pid);
      }
      assert.throws(() => sleeper(new Map(), { cwd: `${dir}/missing` }), {
        message: "posix_spawn(/bin/sleep): ENOENT (No such file or directory)",
      });
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  }),
);

Deno.test(
  "a spawned program writes to its placed stdout and its exit code is reported",
  leakChecked(() => {
    const [r, w] = pipe2();
    const devnull = open("/dev/null", O.RDONLY | O.CLOEXEC);
    try {
      const pid = spawn({
        path: "sh",
        search: true,
        argv: ["sh", "-c", "echo $PWD-$X; exit 7"],
        env: { X: "y", PATH: "/usr/bin:/bin" },
        fds: new Map([[0, devnull], [1, w], [2, w]]),
        cwd: "/",
      });
      close(w);
      assert.deepEqual(waitpid(pid), { exited: true, code: 7, signal: null });
      const buf = new Uint8Array(new ArrayBuffer(64));
      const n = read(r, buf);
      assert.equal(new TextDecoder().decode(buf.subarray(0, n)), "/-y\n");
    } finally {
      close(r);
      close(devnull);
    }
  }),
);

Deno.test(
  "spawn of a missing program or a bad source fails with the errno and leaks nothing",
  leakChecked(() => {
    const [r, w] = pipe2();
    try {
      assert.throws(
        () => spawn({ path: "/nonexistent", argv: ["x"], env: [], fds: new Map([[0, r]]) }),
        {
          name: "SysError",
          message: "posix_spawn(/nonexistent): ENOENT (No such file or directory)",
        },
      );
      assert.throws(() => sleeper(new Map([[0, r], [1, 999_999]])), { code: "EBADF", fd: 999_999 });
      assert.equal(fstat(r).ino, fstat(w).ino);
    } finally {
      close(r);
      close(w);
    }
  }),
);
