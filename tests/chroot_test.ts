/**
 * Tasks restored into a root, as criu restores them (issue 16 item 5): with
 * --root, or with a recorded root other than "/", the recorded program runs
 * chrooted there, in its cwd, found inside that root. A program after `--`
 * is the caller's: it runs on the host's "/", in the task's cwd.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "./support/cli.ts";
import { haveRoot } from "./support/root.ts";
import { writeTreeCheckpoint } from "./support/tree_fixture.ts";

/** The sample's recorded program, rebuilt inside the root as a static program that waits. */
const SLEEPER = "tmp/fdrestore-sample/sleeper";

async function withRestored(
  args: string[],
  task: { root?: string; cwd?: string },
  check: (pid: number, root: string) => void,
  program?: string,
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
      ...(program === undefined ? [] : ["--", program.replace("ROOT", root)]),
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
  Deno.mkdirSync(join(root, "tmp/fdrestore-sample"), { recursive: true });
  let ok = false;
  try {
    const child = new Deno.Command("gcc", {
      args: ["-static", "-O2", "-o", join(root, SLEEPER), "-x", "c", "-"],
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

Deno.test("with --root the recorded program runs chrooted into the root, in its cwd there", async () => {
  await withRestored(["--root", "ROOT"], {}, (pid, root) => {
    assert.equal(Deno.readLinkSync(`/proc/${pid}/root`), root);
    assert.equal(Deno.readLinkSync(`/proc/${pid}/cwd`), `${root}/tmp/fdrestore-sample`);
    assert.equal(Deno.readLinkSync(`/proc/${pid}/exe`), `${root}/${SLEEPER}`);
  });
});

Deno.test("a recorded root other than / is honoured, joined with --root", async () => {
  await withRestored(["--root", "ROOT"], { root: "/tmp" }, (pid, root) => {
    assert.equal(Deno.readLinkSync(`/proc/${pid}/root`), `${root}/tmp`);
    assert.equal(Deno.readLinkSync(`/proc/${pid}/exe`), `${root}/${SLEEPER}`);
  });
});

Deno.test("a program after -- is the caller's: it runs on the host's /, in the task's cwd in the root", async () => {
  await withRestored(["--root", "ROOT"], {}, (pid, root) => {
    assert.equal(Deno.readLinkSync(`/proc/${pid}/root`), "/");
    assert.equal(Deno.readLinkSync(`/proc/${pid}/cwd`), `${root}/tmp/fdrestore-sample`);
    assert.equal(Deno.readLinkSync(`/proc/${pid}/exe`), `${root}/${SLEEPER}`);
  }, `ROOT/${SLEEPER}`);
});
