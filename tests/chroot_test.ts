/**
 * Tasks restored into a root, as criu restores them (issue 16 item 5): with
 * --root, or with a recorded root other than "/", the started program runs
 * chrooted there, in its cwd, and its program is found inside that root.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "./support/cli.ts";
import { haveRoot } from "./support/root.ts";
import { writeTreeCheckpoint } from "./support/tree_fixture.ts";

async function withRestored(
  args: string[],
  task: { root?: string; cwd?: string },
  check: (pid: number, root: string) => void,
  program = "/bin/hold",
): Promise<void> {
  if (!haveRoot("chroot (entering a root needs it)")) return;
  const root = await buildRoot();
  if (!root) return;
  const images = Deno.makeTempDirSync({ prefix: "fdrestore-chroot-img-" });
  writeTreeCheckpoint(images, [{
    pid: 4848,
    ppid: 0,
    root: task.root?.replace("ROOT", root),
    cwd: task.cwd?.replace("ROOT", root),
    fds: { 0: "r", 1: "w" },
  }], {
    r: { pipe: 1, end: "r" },
    w: { pipe: 1, end: "w" },
  });
  const pidfile = join(images, "pid");
  try {
    const r = await runCli([
      "restore",
      "-D",
      images,
      "-d",
      "--pidfile",
      pidfile,
      ...args.map((a) => a === "ROOT" ? root : a),
      "--",
      program.replace("ROOT", root),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const pid = Number(Deno.readTextFileSync(pidfile));
    try {
      check(pid, Deno.realPathSync(root));
    } finally {
      Deno.kill(pid, "SIGKILL");
    }
  } finally {
    Deno.removeSync(images, { recursive: true });
    Deno.removeSync(root, { recursive: true });
  }
}

async function buildRoot(): Promise<string | undefined> {
  const root = Deno.makeTempDirSync({ prefix: "fdrestore-chroot-" });
  Deno.mkdirSync(join(root, "bin"));
  Deno.mkdirSync(join(root, "tmp/fdrestore-sample"), { recursive: true });
  let ok = false;
  try {
    const child = new Deno.Command("gcc", {
      args: ["-static", "-O2", "-o", join(root, "bin/hold"), "-x", "c", "-"],
      stdin: "piped",
      stdout: "null",
      stderr: "inherit",
    }).spawn();
    const w = child.stdin.getWriter();
    await w.write(
      new TextEncoder().encode("#include <unistd.h>\nint main(void){for(;;)pause();}\n"),
    );
    await w.close();
    ok = (await child.status).success;
  } catch {
    // no gcc
  }
  if (ok) return root;
  console.log("skipped: chroot tests: gcc cannot build a static program here");
  Deno.removeSync(root, { recursive: true });
  return undefined;
}

Deno.test("with --root the restored program runs chrooted into the root, in its cwd there", async () => {
  await withRestored(["--root", "ROOT"], {}, (pid, root) => {
    assert.equal(Deno.readLinkSync(`/proc/${pid}/root`), root);
    assert.equal(Deno.readLinkSync(`/proc/${pid}/cwd`), `${root}/tmp/fdrestore-sample`);
    assert.equal(Deno.readLinkSync(`/proc/${pid}/exe`), `${root}/bin/hold`);
  });
});

Deno.test("a task whose recorded root is not / runs chrooted there, as criu restores it", async () => {
  await withRestored([], { root: "ROOT" }, (pid, root) => {
    assert.equal(Deno.readLinkSync(`/proc/${pid}/root`), root);
    assert.equal(Deno.readLinkSync(`/proc/${pid}/exe`), `${root}/bin/hold`);
  });
});

Deno.test("without a root to enter the program runs on the host's /", async () => {
  await withRestored([], { cwd: "ROOT/tmp/fdrestore-sample" }, (pid, root) => {
    assert.equal(Deno.readLinkSync(`/proc/${pid}/root`), "/");
    assert.equal(Deno.readLinkSync(`/proc/${pid}/exe`), `${root}/bin/hold`);
  }, "ROOT/bin/hold");
});
