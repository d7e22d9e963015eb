/**
 * Restores from container checkpoint archives that really start tasks:
 * corpus scenarios packed as Podman and CRI-O do (tests/support/
 * archive_restorer.sh) and checked by corpus-check against what criu
 * restored; and a container's rootfs given with --root, where show, check
 * and restore look the files up and nowhere else.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { CORPUS, haveCorpus, imagesOf, REPO_ROOT } from "./support/corpus.ts";
import { CORPUS_RESTORER, runCli } from "./support/cli.ts";
import { procFds } from "./support/proc_fds.ts";
import { haveRoot } from "./support/root.ts";
import { ZDTM_CORPUS } from "./support/zdtm.ts";

const CHECKER = join(CORPUS, "..", "tools", "corpus-check");
const PACK = join(REPO_ROOT, "tests", "support", "archive_restorer.sh");

/** corpus-check with the restorer reading -D from an archive of `layout`. */
async function checkPacked(
  layout: string,
  scenarios: string[],
  extra: string[] = [],
): Promise<string> {
  const restorer = CORPUS_RESTORER.map((w) => w === "{images}" ? "ARCHIVE" : w);
  const args = [...extra, ...scenarios.flatMap((s) => ["--scenario", s])];
  args.push("--", PACK, "{images}", layout, ...restorer);
  const out = await new Deno.Command(CHECKER, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, text);
  assert.match(text, new RegExp(`^${scenarios.length} passed, 0 failed$`, "m"), text);
  return text;
}

const SCENARIOS: string[] = ["pipes", "reg-files", "ghost-file", "tree-shared", "unix-sockets"];

for (const layout of ["podman.tar.gz", "podman.tar.zst", "crio.tar"]) {
  Deno.test(`restore from a ${layout} archive equals what criu restored from the folder`, async () => {
    if (!haveCorpus(`restore from ${layout}`) || !haveRoot(`restore from ${layout}`)) return;
    await checkPacked(layout, [...SCENARIOS, "inherit-pipe-stdio"]);
  });
}

Deno.test("memfd contents and a ghost cwd come from the archive, not from a folder of its name", async () => {
  if (!haveCorpus("memfd from an archive") || !haveRoot("memfd from an archive")) return;
  // A fresh program cannot map the memfd again (see tests/corpus_restore_test.ts).
  await checkPacked("podman.tar.zst", ["memfd"], ["--ignore", "fd.mappings"]);
  // zdtm cwd01: the task's cwd is a deleted folder, dumped as a ghost
  await checkPacked("crio.tar", ["zdtm-cwd01"], ["--corpus", ZDTM_CORPUS]);
});

/** A container rootfs holding what reg-files' fds name: its files as dumped, /dev/null, /dev/zero. */
function regFilesRootfs(base: string): string {
  const rootfs = join(base, "rootfs");
  const dir = join(rootfs, "tmp", "criu-corpus", "reg-files");
  Deno.mkdirSync(dir, { recursive: true });
  Deno.mkdirSync(join(rootfs, "dev"));
  const prereq = join(CORPUS, "reg-files", "prereq.tar.gz");
  const steps = [
    ["tar", "-C", dir, "-xzf", prereq],
    ["mknod", "-m", "666", join(rootfs, "dev", "null"), "c", "1", "3"],
    ["mknod", "-m", "666", join(rootfs, "dev", "zero"), "c", "1", "5"],
  ];
  for (const [cmd, ...args] of steps) {
    const r = new Deno.Command(cmd, { args, stderr: "piped" }).outputSync();
    assert.ok(r.success, new TextDecoder().decode(r.stderr));
  }
  return rootfs;
}

function packed(base: string, scenario: string): string {
  const archive = join(base, `${scenario}.tar`);
  const r = new Deno.Command("tar", {
    args: ["-cf", archive, "--transform", "s,^\\.,checkpoint,", "-C", imagesOf(scenario), "."],
    stderr: "piped",
  }).outputSync();
  assert.ok(r.success, new TextDecoder().decode(r.stderr));
  return archive;
}

/** The paths show says do not exist, once each. */
const missing = (report: { needs: { reason: string }[] }) =>
  [
    ...new Set(
      report.needs.map((n) => n.reason).filter((r) => r.endsWith(" does not exist"))
        .map((r) => r.slice(0, -" does not exist".length)),
    ),
  ].sort();

Deno.test("show, check and restore of an archive look files up under --root, the container's rootfs", async () => {
  if (!haveCorpus("archive with --root") || !haveRoot("archive with --root (mknod)")) return;
  const base = Deno.makeTempDirSync({ prefix: "fdrestore-rootfs-" });
  const pids: number[] = [];
  try {
    const rootfs = regFilesRootfs(base);
    const archive = packed(base, "reg-files");
    const empty = join(base, "empty");
    Deno.mkdirSync(empty);
    const show = async (root: string) => {
      const r = await runCli(["show", "--json", "-D", archive, "--root", root]);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout);
    };
    // Every file the fds name is missing from an empty root, none from the rootfs.
    const names = new Set<string>();
    for (const t of (await show(empty)).tasks) {
      for (const f of t.fds) if (f.type === "REG") names.add(f.what.replace(/ \(chr\)$/, ""));
    }
    assert.ok(names.size >= 15, [...names].join());
    assert.deepEqual(missing(await show(empty)), [...names].sort());
    assert.deepEqual(missing(await show(rootfs)), []);
    assert.equal((await runCli(["check", "-D", archive, "--root", rootfs])).code, 0);

    // A file taken away from the rootfs: show lists it, check names it and fails.
    const taken = "/tmp/criu-corpus/reg-files/noatime.txt";
    Deno.renameSync(join(rootfs, taken), join(base, "noatime.txt"));
    assert.deepEqual(missing(await show(rootfs)), [taken]);
    const check = await runCli(["check", "-D", archive, "--root", rootfs]);
    assert.equal(check.code, 1);
    assert.match(check.stderr, /^fdrestore: error: fd 14 of task \d+: .*noatime\.txt.*ENOENT/);
    Deno.renameSync(join(base, "noatime.txt"), join(rootfs, taken));

    // The archive's restore and the folder's open the same files, all inside the rootfs.
    const tables = [];
    for (const images of [archive, imagesOf("reg-files")]) {
      const pidfile = join(base, "pid");
      const r = await runCli([
        "restore",
        "-D",
        images,
        "--root",
        rootfs,
        "-d",
        "--pidfile",
        pidfile,
        "--",
        "/bin/sleep",
        "600",
      ]);
      assert.equal(r.code, 0, r.stderr);
      const pid = Number(Deno.readTextFileSync(pidfile));
      pids.push(pid);
      Deno.removeSync(pidfile);
      tables.push(procFds(pid));
    }
    assert.deepEqual(tables[0], tables[1]);
    const read = tables[0].find((f) => f.fd === 3)!;
    assert.deepEqual([read.path, read.pos], [
      join(rootfs, "tmp/criu-corpus/reg-files/read.txt"),
      "1234",
    ]);
    for (const f of tables[0]) {
      if (f.path.startsWith("/")) assert.ok(f.path.startsWith(rootfs + "/"), f.path);
    }
  } finally {
    for (const pid of pids) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch { /* gone */ }
    }
    Deno.removeSync(base, { recursive: true });
  }
});
