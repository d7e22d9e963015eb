import assert from "node:assert/strict";
import { EXIT } from "../errors.ts";
import { InheritFdError } from "./error.ts";
import { parseInheritFdArg } from "./parse.ts";

const VALID: [string, "fd" | "debug", number, string][] = [
  ["fd[3]:foo", "fd", 3, "foo"],
  ["fd[0]:x", "fd", 0, "x"],
  ["fd[ 3]:k", "fd", 3, "k"],
  ["fd[\t\n 3]:k", "fd", 3, "k"],
  ["fd[+3]:k", "fd", 3, "k"],
  ["fd[ +3]:k", "fd", 3, "k"],
  ["fd[007]:k", "fd", 7, "k"],
  ["fd[2147483647]:k", "fd", 2147483647, "k"],
  ["fd[3]:pipe:[1]", "fd", 3, "pipe:[1]"],
  ["fd[3]:a:b::c:", "fd", 3, "a:b::c:"],
  ["fd[3]: ", "fd", 3, " "],
  ["fd[3]:tty[8800:1a]", "fd", 3, "tty[8800:1a]"],
  ["fd[3]:/memfd:name (x)", "fd", 3, "/memfd:name (x)"],
  ["debug[1]:hello world", "debug", 1, "hello world"],
  ["debug[2]:a:b", "debug", 2, "a:b"],
];

for (const [arg, kind, fd, key] of VALID) {
  Deno.test(`parseInheritFdArg accepts ${JSON.stringify(arg)}`, () => {
    assert.deepEqual(parseInheritFdArg(arg), { kind, fd, key, arg });
  });
}

const INVALID: [string, string][] = [
  ["fd[x]:foo", "N is not a number"],
  ["fd[3]", "there is no colon"],
  ["fd[3]:", "KEY is empty"],
  ["fd[-1]:x", "N is negative"],
  ["fdx[3]:k", "the prefix is followed by something other than ["],
  ["FD[3]:k", "the prefix is case-sensitive"],
  ["Debug[1]:t", "the debug prefix is case-sensitive"],
  ["debug[1]:", "TEXT is empty"],
  ["fd3:k", "there is no ["],
  ["fd[]:k", "N is missing"],
  ["fd [3]:k", "a blank precedes ["],
  ["fd[+ 3]:k", "a blank follows the sign"],
  ["fd[+-3]:k", "there are two signs"],
  ["[3]:k", "there is no prefix"],
  ["", "it is empty"],
  ["fd[2147483648]:k", "N does not fit in a C int"],
  ["fd[99999999999999999999]:k", "N is huge"],
  // stricter than criu, which accepts these by accident
  ["fd[-0]:k", "N has a minus sign"],
  ["fd[3 ]:k", "a blank follows N"],
  ["fd[3:k", "] is missing"],
  ["fd[3]x:k", "something lies between ] and the colon"],
  ["fd[3]]:k", "] is doubled"],
];

for (const [arg, why] of INVALID) {
  Deno.test(`parseInheritFdArg rejects ${JSON.stringify(arg)} because ${why}`, () => {
    assert.throws(() => parseInheritFdArg(arg), (e: unknown) => {
      assert.ok(e instanceof InheritFdError);
      assert.equal(e.message, `Invalid inherit fd argument: ${arg}`);
      assert.equal(e.exitCode, EXIT.INHERIT);
      assert.equal(e.arg, arg);
      return true;
    });
  });
}
