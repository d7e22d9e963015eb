import assert from "node:assert/strict";
import { leadsToExe } from "./leads_to.ts";

/** root/usr/bin: a multi-call binary, a link to it, and one that reaches it only from the host. */
function fakeRoot(): { root: string; done: () => void } {
  const base = Deno.makeTempDirSync({ prefix: "fdrestore-leads-" });
  const root = `${base}/root`;
  Deno.mkdirSync(`${root}/usr/bin`, { recursive: true });
  Deno.mkdirSync(`${root}/srv/app`, { recursive: true });
  Deno.writeTextFileSync(`${root}/usr/bin/redis-check-rdb`, "");
  Deno.symlinkSync("redis-check-rdb", `${root}/usr/bin/redis-server`);
  Deno.symlinkSync("../../usr/bin/redis-check-rdb", `${root}/srv/app/server`);
  // absolute: read inside the root, it names root/<root>/usr/bin/redis-check-rdb, which is not there
  Deno.symlinkSync(`${root}/usr/bin/redis-check-rdb`, `${root}/usr/bin/host-link`);
  return { root, done: () => Deno.removeSync(base, { recursive: true }) };
}

Deno.test("a name leads to the exe through a link, in PATH or from the cwd, inside the root", () => {
  const { root, done } = fakeRoot();
  try {
    const task = { exe: "/usr/bin/redis-check-rdb", cwd: "/srv/app", env: ["PATH=/usr/bin"] };
    const leads = leadsToExe(task, root);
    assert.equal(leads("redis-server"), true);
    assert.equal(leads("/usr/bin/redis-server"), true);
    assert.equal(leads("./server"), true); // from the task's cwd
    assert.equal(leads("redis-check-rdb"), true);
    assert.equal(leads("server"), false); // not in PATH
    assert.equal(leads("host-link"), false);
    assert.equal(leads("nginx: worker process"), false);
    assert.equal(leads(""), false);
    // no PATH in the environment: the default one, which has /usr/bin
    assert.equal(leadsToExe({ exe: task.exe, env: ["", ""] }, root)("redis-server"), true);
    // an exe that is not in the root leads nowhere
    assert.equal(leadsToExe({ exe: "/usr/sbin/nginx" }, root)("nginx"), false);
  } finally {
    done();
  }
});

Deno.test("on the host's root, /bin/sh leads to the shell it links to", () => {
  const shell = Deno.realPathSync("/bin/sh");
  assert.equal(leadsToExe({ exe: shell }, "/")("sh"), true);
  assert.equal(leadsToExe({ exe: shell }, "/")("/bin/sh"), true);
});
