/**
 * Programs that rewrite their process title, dumped by real criu: redis-server
 * (a title, and an exe the kernel reached through the redis-server link) and
 * nginx (a master and two workers). `show` marks them, a restore without a
 * program refuses them and leaves nothing behind, and `--exec` starts the
 * right program on the right task's fds.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "./support/cli.ts";
import {
  childrenOf,
  cmdline,
  criuDump,
  environ,
  fdTarget,
  freePort,
  haveRealDump,
  killProcessesIn,
  processesIn,
  startLeader,
  tcpListeners,
  waitFor,
} from "./support/real_dump.ts";

const HINT = "name its program with --exec PID='PROGRAM ARGS...' or -- PROGRAM ARGS...";

/** The fd of `pid` that is the socket listening on `port`. */
function listenerFd(pid: number, port: number): number {
  const [ino] = tcpListeners(port);
  for (const e of Deno.readDirSync(`/proc/${pid}/fd`)) {
    if (fdTarget(pid, Number(e.name)) === `socket:[${ino}]`) return Number(e.name);
  }
  throw new Error(`task ${pid} holds no listener on port ${port}`);
}

/** What a refused restore must not leave: a listener, a task, an output file. */
function assertNothingLeft(dir: string, images: string, before: string[], port: number) {
  assert.deepEqual(tcpListeners(port), []);
  assert.deepEqual(processesIn(dir), []);
  assert.deepEqual([...Deno.readDirSync(images)].map((e) => e.name).sort(), before);
}

function refusedRestore(images: string) {
  return runCli(["restore", "-D", images, "--pidfile", "root.pid", "--pid-map", "pids.json"]);
}

/** `restore -d` with these arguments; the pid map it wrote. */
async function restoreDetached(images: string, args: string[]): Promise<Record<string, number>> {
  const r = await runCli(["restore", "-D", images, "-d", "--pid-map", "pids.json", ...args]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(Deno.readTextFileSync(join(images, "pids.json")));
}

Deno.test("real redis-server: its title is refused, --exec starts redis-server on its fds", async (t) => {
  if (!haveRealDump("real redis-server", ["/usr/bin/redis-server", "/usr/bin/redis-cli"])) return;
  const dir = Deno.makeTempDirSync({ prefix: "fdrestore-title-redis-" });
  const images = join(dir, "images");
  try {
    const port = freePort();
    const conf = join(dir, "redis.conf");
    Deno.writeTextFileSync(
      conf,
      `port ${port}\nbind 127.0.0.1\nsave ""\nappendonly no\ndir ${dir}\nlogfile ${dir}/redis.log\n`,
    );
    const redis = startLeader(["/usr/bin/redis-server", conf], { cwd: dir, log: `${dir}/out.log` });
    const pid = redis.pid;
    await waitFor("redis to listen", () => tcpListeners(port).length === 1);
    await waitFor("redis's title", () => cmdline(pid)[0].includes(" "));
    const fd = listenerFd(pid, port);
    await criuDump(pid, images, dir);
    await redis.status;
    const before = [...Deno.readDirSync(images)].map((e) => e.name).sort();

    // The title fills the argv area "/usr/bin/redis-server\0CONF\0"; NULs pad the rest.
    const title = `/usr/bin/redis-server 127.0.0.1:${port}`;
    const empty = "/usr/bin/redis-server".length + 1 + conf.length + 1 - title.length - 1;
    const doubt = `a process title, not a command line (argv[0] has spaces; ${empty} ` +
      `empty strings end it; its exe /usr/bin/redis-check-rdb is the target of the link ` +
      `/usr/bin/redis-server)`;

    await t.step("show marks the task, in the table and in JSON", async () => {
      const json = await runCli(["show", "-D", images, "--json"]);
      assert.equal(json.code, 0, json.stderr);
      const report = JSON.parse(json.stdout);
      assert.equal(report.tasks[0].exe, "/usr/bin/redis-check-rdb");
      assert.equal(report.tasks[0].exe_via, "/usr/bin/redis-server");
      assert.equal(report.tasks[0].program_doubt, doubt);
      assert.deepEqual(report.needs, [{
        pid,
        reason: "its recorded program is not started by default (see the task)",
        exec_arg: `--exec ${pid}='PROGRAM ARGS...' or -- PROGRAM ARGS...`,
      }]);
      const text = await runCli(["show", "-D", images]);
      const lines = text.stdout.split("\n");
      assert.equal(
        lines[1],
        "  program /usr/bin/redis-check-rdb (through the link /usr/bin/redis-server)",
      );
      assert.equal(lines[2], `  argv    '${title}' and ${empty} empty strings`);
      assert.match(lines[3], /^ {2}doubt {3}a process title, not a command line/);
    });

    await t.step(
      "a restore without a program refuses with one line and leaves nothing",
      async () => {
        const r = await refusedRestore(images);
        assert.equal(r.code, 125);
        assert.equal(
          r.stderr,
          `fdrestore: error: task ${pid} (redis-server): its recorded argv '${title}' is ` +
            `${doubt}; ${HINT.replace("PID", String(pid))}\n`,
        );
        assertNothingLeft(dir, images, before, port);
      },
    );

    await t.step("check warns about the task and still checks every file", async () => {
      const r = await runCli(["check", "-D", images]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(
        r.stderr,
        `Warn: task ${pid} (redis-server): its recorded argv '${title}' is ${doubt}; ` +
          `a restore needs --exec ${pid}='PROGRAM ARGS...' or -- PROGRAM ARGS...\n`,
      );
      assertNothingLeft(dir, images, before, port);
    });

    await t.step(
      "--exec starts redis-server (not redis-check-rdb) on the restored fds",
      async () => {
        const sock = join(dir, "redis.sock");
        Deno.writeTextFileSync(
          join(dir, "restored.conf"),
          `port 0\nunixsocket ${sock}\nsave ""\nappendonly no\ndir ${dir}\n` +
            `logfile ${dir}/restored.log\n`,
        );
        const pids = await restoreDetached(images, [
          "--exec",
          `${pid}=redis-server '${dir}/restored.conf'`,
        ]);
        const now = pids[String(pid)];
        // It answers: the multi-call binary chose the server from argv[0].
        await waitFor("the restored redis to answer", async () => {
          const ping = await new Deno.Command("redis-cli", { args: ["-s", sock, "ping"] })
            .output();
          return new TextDecoder().decode(ping.stdout) === "PONG\n";
        });
        assert.equal(Deno.readLinkSync(`/proc/${now}/exe`), "/usr/bin/redis-check-rdb");
        assert.equal(cmdline(now)[0].split(" ")[0], "redis-server");
        // Its fd table is the dumped one: the listener at its number, the log on 1 and 2.
        const listeners = tcpListeners(port);
        assert.equal(listeners.length, 1);
        assert.equal(fdTarget(now, fd), `socket:[${listeners[0]}]`);
        assert.equal(fdTarget(now, 1), join(dir, "out.log"));
        assert.equal(fdTarget(now, 2), join(dir, "out.log"));
      },
    );
  } finally {
    killProcessesIn(dir);
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("real nginx: master and workers are refused; --exec and -- start each its own program", async (t) => {
  if (!haveRealDump("real nginx", ["/usr/sbin/nginx"])) return;
  const dir = Deno.makeTempDirSync({ prefix: "fdrestore-title-nginx-" });
  const images = join(dir, "images");
  try {
    const port = freePort();
    const conf = join(dir, "nginx.conf");
    const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
      .map((k) => `${k}_temp_path ${dir}/${k};`).join(" ");
    // Workers run as root: criu reads their limits, which needs CAP_SYS_RESOURCE otherwise.
    Deno.writeTextFileSync(
      conf,
      `user root; daemon off; worker_processes 2; pid ${dir}/nginx.pid;\n` +
        `error_log ${dir}/error.log; events { worker_connections 64; }\n` +
        `http { access_log ${dir}/access.log; ${temp}\n` +
        `  server { listen 127.0.0.1:${port}; location / { return 200 "restored\\n"; } } }\n`,
    );
    const argv = ["/usr/sbin/nginx", "-p", `${dir}/`, "-e", `${dir}/error.log`, "-c", conf];
    const nginx = startLeader(argv, { cwd: dir, log: `${dir}/out.log` });
    const master = nginx.pid;
    await waitFor("nginx's two workers", () => {
      try {
        return childrenOf(master).length === 2 && tcpListeners(port).length === 1;
      } catch {
        return false;
      }
    });
    const workers = childrenOf(master).sort((a, b) => a - b);
    const fd = listenerFd(master, port);
    await criuDump(master, images, dir);
    await nginx.status;
    const before = [...Deno.readDirSync(images)].map((e) => e.name).sort();

    await t.step("show marks the master and both workers", async () => {
      const report = JSON.parse((await runCli(["show", "-D", images, "--json"])).stdout);
      // The workers' title fills the argv area; NULs pad the rest.
      const area = argv.reduce((n, a) => n + a.length + 1, 0);
      const empty = area - "nginx: worker process".length - 1;
      const padded = `a process title, not a command line (argv[0] has spaces; ${empty} ` +
        `empty strings end it)`;
      assert.deepEqual(report.tasks.map((t: { pid: number }) => t.pid), [master, ...workers]);
      assert.deepEqual(report.tasks.map((t: { program_doubt: string }) => t.program_doubt), [
        // "nginx: master process " and the command line do not fit in the command line's area
        "a process title, not a command line (it runs past the end of its area; " +
        "argv[0] has spaces)",
        padded,
        padded,
      ]);
    });

    await t.step("a restore without a program refuses and leaves nothing", async () => {
      const r = await refusedRestore(images);
      assert.equal(r.code, 125);
      const title = `nginx: master process ${argv.join(" ")}`;
      assert.equal(
        r.stderr,
        `fdrestore: error: task ${master} (nginx): its recorded argv '${title.slice(0, 57)}...' ` +
          `is a process title, not a command line (it runs past the end of its area; ` +
          `argv[0] has spaces); ${HINT.replace("PID", String(master))} ` +
          `(also tasks ${workers.join(", ")})\n`,
      );
      assertNothingLeft(dir, images, before, port);
    });

    await t.step(
      "--exec gives the master nginx on its listener, -- gives the workers sleep",
      async () => {
        const pids = await restoreDetached(images, [
          "--exec",
          `${master}=env 'NGINX=${fd};' ${argv.join(" ")}`,
          "--",
          "/bin/sleep",
          "1000",
        ]);
        const now = pids[String(master)];
        // nginx took the restored listener over (NGINX="6;"): it serves there, nothing else is bound.
        const res = await fetch(`http://127.0.0.1:${port}/`);
        assert.equal(await res.text(), "restored\n");
        const listeners = tcpListeners(port);
        assert.equal(listeners.length, 1);
        assert.equal(fdTarget(now, fd), `socket:[${listeners[0]}]`);
        assert.equal(Deno.readLinkSync(`/proc/${now}/exe`), "/usr/sbin/nginx");
        // (nginx writes its title over its environment; its log says what it inherited)
        assert.ok(
          Deno.readTextFileSync(join(dir, "error.log")).includes(
            `using inherited sockets from "${fd};"`,
          ),
        );
        for (const w of workers) {
          const started = pids[String(w)];
          assert.deepEqual(cmdline(started), ["/bin/sleep", "1000"]);
          assert.ok(environ(started).includes(`FDRESTORE_PID=${w}`));
          assert.equal(fdTarget(started, fd), `socket:[${listeners[0]}]`);
        }
      },
    );
  } finally {
    killProcessesIn(dir);
    Deno.removeSync(dir, { recursive: true });
  }
});
