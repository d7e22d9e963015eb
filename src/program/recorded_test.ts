import assert from "node:assert/strict";
import { judge, refused, usableEnv } from "./recorded.ts";

const pad = (n: number) => Array<string>(n).fill("");
/** A filesystem where only `links` lead to the exe. */
const only = (...links: string[]) => (name: string) => links.includes(name);

// The argv shapes below are the bytes real programs left in their argv area
// (read from /proc/PID/mem between arg_start and arg_end, and from criu dumps).

Deno.test("an nginx worker's title is refused: spaces in argv[0] and NUL padding", () => {
  const v = judge(
    { exe: "/usr/sbin/nginx", argv: ["nginx: worker process", ...pad(49)] },
    only(),
  );
  assert.deepEqual(v, { title: ["argv[0] has spaces", "49 empty strings end it"] });
  assert.equal(refused(v), true);
});

Deno.test("an nginx master's title longer than its command line runs past the argv area", () => {
  const v = judge({
    exe: "/usr/sbin/nginx",
    argv: ["nginx: master process /usr/sbin/nginx -c /tmp/fdr-e-exp/ngx/nginx.conf "],
    argvCut: true,
  }, only());
  assert.deepEqual(v.title, ["it runs past the end of its area", "argv[0] has spaces"]);
});

Deno.test("redis's title is refused and its exe is found to be the target of redis-server", () => {
  const v = judge({
    exe: "/usr/bin/redis-check-rdb",
    argv: ["/usr/bin/redis-server 127.0.0.1:34698", ...pad(10)],
  }, only("/usr/bin/redis-server"));
  assert.deepEqual(v, {
    title: ["argv[0] has spaces", "10 empty strings end it"],
    via: "/usr/bin/redis-server",
  });
});

Deno.test("postgres's children are refused, its postmaster is not", () => {
  const exe = "/usr/lib/postgresql/15/bin/postgres";
  for (const title of ["postgres: checkpointer ", "postgres: 15/main: walwriter "]) {
    assert.deepEqual(judge({ exe, argv: [title, ...pad(95)] }, only()).title, [
      "argv[0] has spaces",
      "95 empty strings end it",
    ]);
  }
  const master = judge(
    { exe, argv: [exe, "-D", "/tmp/pg/data", "-c", "listen_addresses="] },
    only(),
  );
  assert.deepEqual(master, { title: [] });
});

Deno.test("spaces in a later argument are a command line: sh -c 'a b'", () => {
  const v = judge({ exe: "/usr/bin/dash", argv: ["sh", "-c", "echo a b"] }, only("sh"));
  assert.deepEqual(v, { title: [], via: "sh" });
  assert.equal(refused(v), false);
});

Deno.test("an argv[0] with spaces that is the exe's path, or leads to it, is not a title", () => {
  const exe = "/opt/My App/bin/app";
  assert.deepEqual(judge({ exe, argv: [exe, "--port", "80"] }, only()), { title: [] });
  assert.deepEqual(judge({ exe, argv: ["./My App/bin/app"] }, only("./My App/bin/app")), {
    title: [],
  });
});

Deno.test("one trailing empty string is an argument; two are padding", () => {
  assert.deepEqual(judge({ exe: "/usr/bin/printf", argv: ["printf", "%s", ""] }, only()), {
    title: [],
  });
  assert.deepEqual(
    judge({ exe: "/usr/bin/printf", argv: ["printf", "%s", "", ""] }, only()).title,
    ["2 empty strings end it"],
  );
});

Deno.test("a link the kernel followed is started as recorded: python3, redis-server", () => {
  const py = judge(
    { exe: "/usr/bin/python3.11", argv: ["python3", "-m", "http.server"] },
    only("python3"),
  );
  assert.deepEqual(py, { title: [], via: "python3" });
  assert.equal(refused(py), false);
  const redis = judge(
    { exe: "/usr/bin/redis-check-rdb", argv: ["redis-server", "/etc/redis/redis.conf"] },
    only("redis-server"),
  );
  assert.deepEqual(redis, { title: [], via: "redis-server" });
});

Deno.test("an argv[0] that does not lead to the exe is refused: exec -a, a name set by the program", () => {
  const v = judge({ exe: "/usr/bin/python3.11", argv: ["worker", "--queue", "q1"] }, only());
  assert.deepEqual(v, { title: [], otherName: "worker" });
  assert.equal(refused(v), true);
  // a multi-call binary whose link is gone on this host
  assert.equal(
    judge({ exe: "/usr/bin/redis-check-rdb", argv: ["redis-server"] }, only()).otherName,
    "redis-server",
  );
});

Deno.test("a login shell's leading dash is not part of its name", () => {
  assert.deepEqual(judge({ exe: "/usr/bin/bash", argv: ["-bash"] }, only()), { title: [] });
});

Deno.test("environment strings without '=' are left out", () => {
  assert.deepEqual(usableEnv(["-p /tmp/fdr-e-exp", "", "PATH=/bin", "A="]), {
    env: ["PATH=/bin", "A="],
    dropped: 2,
  });
});
