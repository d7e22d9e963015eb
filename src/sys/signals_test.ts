import assert from "node:assert/strict";
import { SIG } from "./consts.ts";
import { inheritedIgnores, isSignalIgnored } from "./signals.ts";

Deno.test("isSignalIgnored reads a disposition without changing it", () => {
  assert.equal(isSignalIgnored(SIG.PIPE), true); // Deno ignores it
  assert.equal(isSignalIgnored(28), false); // SIGWINCH: default
  assert.equal(isSignalIgnored(SIG.PIPE), true);
});

Deno.test("inheritedIgnores leaves out SIGPIPE, which Deno ignores itself", () => {
  assert.ok(!inheritedIgnores().includes(SIG.PIPE));
});
