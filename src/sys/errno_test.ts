import assert from "node:assert/strict";
import { EXIT, FdrestoreError } from "../errors.ts";
import {
  check,
  checkOnce,
  ERRNO,
  errnoName,
  errnoText,
  setFaultInjector,
  SysError,
} from "./errno.ts";
import { close, fstat, pipe2 } from "./fd.ts";
import { leakChecked } from "./_testing.ts";

Deno.test("errno numbers have their names and C-locale texts", () => {
  assert.equal(errnoName(9), "EBADF");
  assert.equal(errnoText(9), "Bad file descriptor");
  assert.equal(errnoName(ERRNO.EMFILE), "EMFILE");
  assert.equal(errnoName(ERRNO.ECONNREFUSED), "ECONNREFUSED");
  assert.equal(errnoName(4095), "E4095");
});

Deno.test("SysError names the call, the fds and the errno, and exits with EXIT.SYSTEM", () => {
  const e = new SysError("dup2", 9, [3, 5]);
  assert.equal(e.message, "dup2(fd 3, fd 5): EBADF (Bad file descriptor)");
  assert.equal(e.call, "dup2");
  assert.equal(e.fd, 3);
  assert.deepEqual(e.fds, [3, 5]);
  assert.equal(e.errno, 9);
  assert.equal(e.code, "EBADF");
  assert.equal(e.name, "SysError");
  assert.equal(e.exitCode, EXIT.SYSTEM);
  assert.ok(e instanceof FdrestoreError);
  const p = new SysError("readlink", 2, ["/nope"]);
  assert.equal(p.message, "readlink(/nope): ENOENT (No such file or directory)");
  assert.equal(p.fd, undefined);
});

Deno.test("a failing call reports the errno it really set", () => {
  assert.throws(() => fstat(987654), {
    name: "SysError",
    message: "fstat(fd 987654): EBADF (Bad file descriptor)",
    code: "EBADF",
    errno: 9,
    fd: 987654,
  });
});

Deno.test(
  "the fault injector makes the chosen call fail and EINTR is retried",
  leakChecked(() => {
    const [r, w] = pipe2();
    const seen: string[] = [];
    try {
      let n = 0;
      setFaultInjector((call) => {
        seen.push(call);
        return call === "fstat" && ++n <= 2 ? ERRNO.EINTR : undefined;
      });
      assert.equal(typeof fstat(r).ino, "bigint"); // two EINTRs, then the real call
      assert.deepEqual(seen, ["fstat", "fstat", "fstat"]);
      setFaultInjector((call, args) => call === "fstat" && args[0] === w ? ERRNO.EIO : undefined);
      assert.throws(() => fstat(w), { message: `fstat(fd ${w}): EIO (Input/output error)` });
      fstat(r);
    } finally {
      setFaultInjector(null);
      close(r);
      close(w);
    }
  }),
);

Deno.test("check returns the call's result and close-style calls treat EINTR as done", () => {
  assert.equal(check("x", () => 7n), 7);
  let calls = 0;
  setFaultInjector(() => ERRNO.EINTR);
  try {
    assert.equal(checkOnce("close", () => ++calls), 0);
    assert.equal(calls, 1); // an injected close fault still releases the fd, as Linux does
  } finally {
    setFaultInjector(null);
  }
});
