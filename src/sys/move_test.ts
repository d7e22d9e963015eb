import assert from "node:assert/strict";
import { FD_CLOEXEC, MFD } from "./consts.ts";
import { close, dup2, fstat, getFdFlags } from "./fd.ts";
import { memfdCreate } from "./kinds.ts";
import { moveFd, placeFds, planPlacement } from "./move.ts";
import { leakChecked } from "./_testing.ts";

const BASE = 9000; // far above the runtime's own fds

/** Puts a distinct memfd at each number; returns number → inode. */
function files(nums: number[]): Map<number, bigint> {
  const out = new Map<number, bigint>();
  for (const n of nums) {
    const m = memfdCreate(`f${n}`, MFD.CLOEXEC);
    dup2(m, n);
    close(m);
    out.set(n, fstat(n).ino);
  }
  return out;
}

function inoAt(fd: number): bigint {
  return fstat(fd).ino;
}

function closeQuietly(nums: number[]): void {
  for (const n of nums) {
    try {
      close(n);
    } catch { /* already closed */ }
  }
}

Deno.test(
  "moveFd moves a file and closes the old number",
  leakChecked(() => {
    const ino = files([BASE]);
    moveFd(BASE, BASE + 1);
    assert.equal(inoAt(BASE + 1), ino.get(BASE));
    assert.equal(getFdFlags(BASE + 1), 0);
    assert.throws(() => fstat(BASE), { code: "EBADF" });
    moveFd(BASE + 1, BASE + 2, { cloexec: true });
    assert.equal(getFdFlags(BASE + 2), FD_CLOEXEC);
    close(BASE + 2);
  }),
);

Deno.test(
  "moveFd onto itself keeps the file and only sets the flag",
  leakChecked(() => {
    const ino = files([BASE]);
    moveFd(BASE, BASE, { cloexec: true });
    assert.equal(inoAt(BASE), ino.get(BASE));
    assert.equal(getFdFlags(BASE), FD_CLOEXEC);
    moveFd(BASE, BASE);
    assert.equal(getFdFlags(BASE), 0);
    close(BASE);
  }),
);

Deno.test("planPlacement orders a chain so no source is overwritten first", () => {
  // 1 ← 2, 2 ← 3: 1 must be written before 2.
  assert.deepEqual(planPlacement(new Map([[2, 3], [1, 2]])), [
    { op: "dup2", from: 2, to: 1 },
    { op: "dup2", from: 3, to: 2 },
  ]);
});

Deno.test("planPlacement breaks a swap by staging one side", () => {
  assert.deepEqual(planPlacement(new Map([[1, 2], [2, 1], [3, 3]])), [
    { op: "flags", fd: 3 },
    { op: "stage", from: 2 },
    { op: "dup2", from: 1, to: 2 },
    { op: "dup2", from: -3, to: 1 },
  ]);
});

Deno.test(
  "placeFds swaps two slots",
  leakChecked(() => {
    const a = BASE, b = BASE + 1;
    const ino = files([a, b]);
    placeFds(new Map([[a, b], [b, a]]));
    assert.equal(inoAt(a), ino.get(b));
    assert.equal(inoAt(b), ino.get(a));
    assert.equal(getFdFlags(a), 0);
    closeQuietly([a, b]);
  }),
);

Deno.test(
  "placeFds handles a 3-cycle, a chain, dups and a fixed point together",
  leakChecked(() => {
    const n = (i: number) => BASE + i;
    const ino = files([n(0), n(1), n(2), n(3), n(5), n(7)]);
    const map = new Map([
      [n(0), n(1)], // cycle 0←1←2←0
      [n(1), n(2)],
      [n(2), n(0)],
      [n(4), n(3)], // chain 4←3←5
      [n(3), n(5)],
      [n(6), n(7)], // 6 and 8 share 7; 7 is not a target and gets closed
      [n(8), n(7)],
      [n(5), n(5)], // fixed point, also a source
    ]);
    placeFds(map, { cloexec: true });
    for (const [to, from] of map) {
      assert.equal(inoAt(to), ino.get(from), `fd ${to}`);
      assert.equal(getFdFlags(to), FD_CLOEXEC, `flags of fd ${to}`);
    }
    assert.throws(() => fstat(n(7)), { code: "EBADF" });
    closeQuietly([...map.keys()]);
  }),
);

Deno.test(
  "placeFds with keepSources leaves non-target sources open",
  leakChecked(() => {
    const ino = files([BASE + 10]);
    placeFds(new Map([[BASE, BASE + 10]]), { keepSources: true });
    assert.equal(inoAt(BASE), ino.get(BASE + 10));
    assert.equal(inoAt(BASE + 10), ino.get(BASE + 10));
    closeQuietly([BASE, BASE + 10]);
  }),
);

Deno.test(
  "placeFds reports a bad source and closes its staging copies",
  leakChecked(() => {
    const ino = files([BASE, BASE + 1]);
    assert.throws(
      () => placeFds(new Map([[BASE, BASE + 1], [BASE + 1, BASE], [BASE + 2, 999_999]])),
      {
        code: "EBADF",
        fd: 999_999,
      },
    );
    assert.ok(ino.size === 2);
    closeQuietly([BASE, BASE + 1, BASE + 2]);
  }),
);

Deno.test("planPlacement's steps, replayed on a model of the table, give every target its source", () => {
  // Seeded so a failure can be replayed: chains, cycles, shared sources, fixed points.
  let seed = 7;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  for (let round = 0; round < 300; round++) {
    const size = 1 + rand(40);
    const map = new Map<number, number>();
    for (let i = 0; i < size; i++) map.set(rand(60), rand(60));
    const table = new Map<number, string>(); // fd → the file it holds
    for (const from of map.values()) table.set(from, `file${from}`);
    const staged = new Map<number, string>();
    const fileOf = (fd: number) => fd < 0 ? staged.get(fd) : table.get(fd);
    planPlacement(map).forEach((step, i) => {
      if (step.op === "stage") staged.set(-2 - i, fileOf(step.from)!);
      else if (step.op === "dup2") table.set(step.to, fileOf(step.from)!);
    });
    for (const [to, from] of map) {
      assert.equal(table.get(to), `file${from}`, `round ${round}, fd ${to}`);
    }
  }
});

Deno.test("planPlacement orders a chain of 20,000 so no source is overwritten before it is read", () => {
  // Every source sits 17 below its target (the runtime's fds push staged files up):
  // 20,000 targets, each written after the one its source sits on.
  const map = new Map<number, number>();
  for (let to = 20; to < 20_020; to++) map.set(to, to - 17);
  const steps = planPlacement(map);
  assert.equal(steps.length, 20_000);
  const written = new Set<number>();
  for (const s of steps) {
    assert.equal(s.op, "dup2");
    if (s.op !== "dup2") continue;
    // The slot a step overwrites is no source still to be read.
    assert.ok(!map.has(s.to + 17) || written.has(s.to + 17), `fd ${s.to} overwritten too soon`);
    written.add(s.to);
  }
});
