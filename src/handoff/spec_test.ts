import assert from "node:assert/strict";
import { isEnvName, isFdName, parseListenFds } from "./spec.ts";

Deno.test("parseListenFds keeps the order given and the optional names", () => {
  assert.deepEqual(parseListenFds("7:admin,6"), [{ fd: 7, name: "admin" }, { fd: 6 }]);
  assert.deepEqual(parseListenFds("6:http"), [{ fd: 6, name: "http" }]);
});

Deno.test("parseListenFds refuses a bad fd, a repeated fd and names sd_listen_fds refuses", () => {
  assert.equal(parseListenFds("x"), "'x' is not FD or FD:NAME");
  assert.equal(parseListenFds("6,,7"), "'' is not FD or FD:NAME");
  assert.equal(parseListenFds("-1"), "'-1' is not FD or FD:NAME");
  assert.equal(parseListenFds("6:a,6:b"), "fd 6 is named twice");
  assert.match(String(parseListenFds("6:")), /not a socket name/);
  assert.match(String(parseListenFds("6:a:b")), /not a socket name/);
  assert.match(String(parseListenFds(`6:${"n".repeat(256)}`)), /not a socket name/);
});

Deno.test("isFdName allows printable ASCII without a colon, up to 255 characters", () => {
  assert.equal(isFdName("http-8080 main"), true);
  assert.equal(isFdName("n".repeat(255)), true);
  assert.equal(isFdName("a\tb"), false);
  assert.equal(isFdName("é"), false);
});

Deno.test("isEnvName accepts shell variable names only", () => {
  assert.equal(isEnvName("NGINX"), true);
  assert.equal(isEnvName("_x9"), true);
  assert.equal(isEnvName("9X"), false);
  assert.equal(isEnvName("A-B"), false);
  assert.equal(isEnvName("A=B"), false);
  assert.equal(isEnvName(""), false);
});
