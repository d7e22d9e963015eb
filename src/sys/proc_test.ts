import assert from "node:assert/strict";
import { RLIMIT_NOFILE } from "./consts.ts";
import {
  chdir,
  chroot,
  getpid,
  getrlimit,
  kill,
  prctl,
  prlimit,
  setrlimit,
  umask,
  waitpid,
} from "./proc.ts";

Deno.test("getpid is Deno.pid", () => {
  assert.equal(getpid(), Deno.pid);
});

Deno.test("umask returns the previous mask", () => {
  const old = umask(0o027);
  try {
    assert.equal(umask(0o027), 0o027);
  } finally {
    umask(old);
  }
});

Deno.test("RLIMIT_NOFILE can be read and set back", () => {
  const lim = getrlimit(RLIMIT_NOFILE);
  assert.ok(lim.cur > 0n && lim.cur <= lim.max);
  const prev = setrlimit(RLIMIT_NOFILE, { cur: lim.cur - 1n, max: lim.max });
  try {
    assert.deepEqual(prev, lim);
    assert.equal(prlimit(Deno.pid, RLIMIT_NOFILE).cur, lim.cur - 1n);
  } finally {
    setrlimit(RLIMIT_NOFILE, lim);
  }
  assert.throws(() => setrlimit(RLIMIT_NOFILE, { cur: 2n, max: 1n }), {
    message: `prlimit(pid 0, resource 7): EINVAL (Invalid argument)`,
  });
});

Deno.test("prctl reads the dumpable flag and rejects an unknown option", () => {
  const PR_GET_DUMPABLE = 3;
  assert.ok([0, 1, 2].includes(prctl(PR_GET_DUMPABLE)));
  assert.throws(() => prctl(-7), { message: "prctl(option -7): EINVAL (Invalid argument)" });
});

Deno.test("chdir, chroot, kill and waitpid name their failures", () => {
  assert.throws(() => chdir("/nonexistent"), {
    message: "chdir(/nonexistent): ENOENT (No such file or directory)",
  });
  assert.throws(() => chroot("/nonexistent"), { code: "ENOENT" });
  assert.throws(() => kill(2_000_000_000, 0), {
    message: "kill(pid 2000000000, signal 0): ESRCH (No such process)",
  });
  assert.throws(() => waitpid(1), { message: "waitpid(pid 1): ECHILD (No child processes)" });
  kill(Deno.pid, 0);
});
