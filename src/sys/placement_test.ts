import assert from "node:assert/strict";
import { MFD } from "./consts.ts";
import { close, dup2, fstat } from "./fd.ts";
import { memfdCreate } from "./kinds.ts";
import { stageSources } from "./placement.ts";
import { leakChecked } from "./_testing.ts";

const BASE = 9000; // far above the runtime's own fds

/** A distinct memfd at each number; returns number → inode. */
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

/** What spawn and exec do after staging: dup2 each target from its source or copy. */
function place(fds: Map<number, number>): number[] {
  const { targets, copies } = stageSources(fds);
  for (const t of targets) dup2(copies.get(fds.get(t)!) ?? fds.get(t)!, t);
  for (const c of copies.values()) close(c);
  return targets;
}

Deno.test(
  "staged sources let a swapped pair and a chain be placed in target order",
  leakChecked(() => {
    const ino = files([BASE, BASE + 1, BASE + 2]);
    // BASE ↔ BASE+1 swap; BASE+2 takes what BASE held (a chain through a swapped slot).
    const fds = new Map([[BASE, BASE + 1], [BASE + 1, BASE], [BASE + 2, BASE]]);
    try {
      assert.deepEqual(place(fds), [BASE, BASE + 1, BASE + 2]);
      assert.equal(fstat(BASE).ino, ino.get(BASE + 1));
      assert.equal(fstat(BASE + 1).ino, ino.get(BASE));
      assert.equal(fstat(BASE + 2).ino, ino.get(BASE));
    } finally {
      for (const n of [BASE, BASE + 1, BASE + 2]) close(n);
    }
  }),
);

Deno.test(
  "a source above every target is used as it is, not copied",
  leakChecked(() => {
    files([BASE + 5]);
    try {
      const { max, copies } = stageSources(new Map([[BASE, BASE + 5]]));
      assert.equal(max, BASE);
      assert.equal(copies.size, 0);
    } finally {
      close(BASE + 5);
    }
  }),
);

Deno.test(
  "a bad target number is refused before anything is copied",
  leakChecked(() => {
    files([BASE]);
    try {
      assert.throws(
        () => stageSources(new Map([[BASE + 1, BASE], [-1, BASE]])),
        (e) => e instanceof RangeError && e.message === "bad target fd -1",
      );
    } finally {
      close(BASE);
    }
  }),
);
