/**
 * Container checkpoint archives as -D: corpus scenarios wrapped the way
 * Podman (`podman container checkpoint --export`: images under checkpoint/,
 * config.dump, spec.dump, stats-dump, network.status beside them) and CRI-O
 * (the same under ./, with bind.mounts and rootfs-diff.tar) lay them out.
 * What show, decode -D and check print for an archive must equal what they
 * print for the folder; a hostile archive is one line and exit 3.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { zstdCompressSync } from "node:zlib";
import { runCli } from "./support/cli.ts";
import { haveCorpus, imagesOf } from "./support/corpus.ts";
import { gzip, podmanMembers, tarBytes, type TarMember } from "./support/tar_fixture.ts";

const enc = new TextEncoder();
const json = (v: unknown) => enc.encode(JSON.stringify(v));

/** A CRI-O style archive written by GNU tar from a laid-out folder (names start with ./). */
function crioArchive(scenario: string, out: string): void {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.mkdirSync(join(dir, "checkpoint"));
    for (const e of Deno.readDirSync(imagesOf(scenario))) {
      Deno.copyFileSync(join(imagesOf(scenario), e.name), join(dir, "checkpoint", e.name));
    }
    Deno.writeFileSync(join(dir, "config.dump"), json({ id: "d00d", name: scenario }));
    Deno.writeFileSync(join(dir, "spec.dump"), json({ annotations: {} }));
    Deno.writeFileSync(join(dir, "bind.mounts"), json([]));
    Deno.writeFileSync(join(dir, "rootfs-diff.tar"), tarBytes([]));
    const tar = new Deno.Command("tar", { args: ["-C", dir, "-cf", out, "."] }).outputSync();
    assert.ok(tar.success, new TextDecoder().decode(tar.stderr));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

/** show --json without the images field, which names the path given. */
async function showJson(path: string): Promise<unknown> {
  const r = await runCli(["show", "--json", "-D", path]);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  delete report.images;
  delete report.container; // only an archive has one; tested below
  return report;
}

/** show's text without the container block an archive adds before the tasks. */
const withoutContainer = (text: string) =>
  text.startsWith("container ") ? text.slice(text.indexOf("\n\n") + 2) : text;

Deno.test("show, decode -D and check of Podman (tar, gzip, zstd) and CRI-O archives equal the folder's", async () => {
  if (!haveCorpus("archives")) return;
  const tmp = Deno.makeTempDirSync();
  try {
    for (const scenario of ["tree-shared", "reg-files", "unix-sockets"]) {
      const folder = imagesOf(scenario);
      const plain = tarBytes(podmanMembers(scenario));
      const archives = ["tar", "tar.gz", "tar.zst"].map((ext) => join(tmp, `${scenario}.${ext}`));
      Deno.writeFileSync(archives[0], plain);
      Deno.writeFileSync(archives[1], await gzip(plain));
      Deno.writeFileSync(archives[2], zstdCompressSync(plain));
      archives.push(join(tmp, `${scenario}-crio.tar`));
      crioArchive(scenario, archives[3]);
      const want = await showJson(folder);
      const wantText = await runCli(["show", "-D", folder]);
      const wantDecode = await runCli(["decode", "-D", folder]);
      const wantCheck = await runCli(["check", "-D", folder]);
      for (const archive of archives) {
        assert.deepEqual(await showJson(archive), want, archive);
        const text = (await runCli(["show", "-D", archive])).stdout;
        assert.equal(withoutContainer(text), wantText.stdout, archive);
        const decode = await runCli(["decode", "-D", archive]);
        assert.equal(decode.code, 0, decode.stderr);
        assert.deepEqual(JSON.parse(decode.stdout), JSON.parse(wantDecode.stdout), archive);
        const check = await runCli(["check", "-D", archive]);
        assert.deepEqual([check.code, check.stdout], [wantCheck.code, wantCheck.stdout], archive);
      }
    }
  } finally {
    Deno.removeSync(tmp, { recursive: true });
  }
});

const file = (name: string, text = "x"): TarMember => ({ name, data: enc.encode(text) });

/** A valid checkpoint archive with one hostile member added. */
function withMember(m: TarMember): Uint8Array {
  return tarBytes([...podmanMembers("pipes"), m]);
}

const HOSTILE: [string, () => Uint8Array | Promise<Uint8Array>, string][] = [
  ["an absolute name", () => withMember(file("/etc/passwd")), "absolute name"],
  ["a name with ..", () => withMember(file("checkpoint/../../x")), "reaches outside"],
  ["a symlink", () => withMember({ name: "checkpoint/l", type: "2", linkname: "/" }), "link"],
  ["a hard link", () => withMember({ name: "h", type: "1", linkname: "config.dump" }), "link"],
  ["a sparse member", () => withMember({ name: "s", type: "S", data: enc.encode("x") }), "sparse"],
  ["a device", () => withMember({ name: "d", type: "3" }), "not a regular file"],
  ["a duplicated image", () => withMember(file("checkpoint/inventory.img")), "appears twice"],
  ["a truncated archive", () => tarBytes(podmanMembers("pipes")).subarray(0, 5000), "truncated"],
  [
    "a member larger than the archive",
    () => tarBytes([{ name: "checkpoint/pages-1.img", size: 2 ** 40 }], false),
    "truncated",
  ],
  [
    "a truncated gzip",
    async () => (await gzip(tarBytes(podmanMembers("pipes")))).subarray(0, 900),
    "corrupt compressed data",
  ],
  ["no checkpoint inside", () => tarBytes([file("config.dump")]), "no inventory.img"],
  [
    "a corrupt zstd frame",
    () => new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 9, 9, 9, 9]),
    "corrupt compressed data",
  ],
  [
    "random bytes",
    () => enc.encode("not an archive at all\n".repeat(40)),
    "not a checkpoint archive",
  ],
];

for (const [what, make, words] of HOSTILE) {
  Deno.test(`an archive with ${what} is one line naming it, exit 3, for show and check`, async () => {
    if (!haveCorpus(`hostile archive: ${what}`)) return;
    const dir = Deno.makeTempDirSync();
    const path = join(dir, "evil.tar");
    try {
      Deno.writeFileSync(path, await make());
      for (const command of ["show", "check"]) {
        const r = await runCli([command, "-D", path]);
        assert.equal(r.code, 3, `${command}: ${r.stderr}`);
        const lines = r.stderr.trimEnd().split("\n");
        assert.equal(lines.length, 1, r.stderr);
        assert.match(lines[0], /^fdrestore: error: /);
        assert.ok(lines[0].includes(path) && lines[0].includes(words), lines[0]);
      }
      assert.deepEqual(
        [...Deno.readDirSync(dir)].map((e) => e.name),
        ["evil.tar"],
        "nothing extracted",
      );
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  });
}

const PODMAN_CONFIG = {
  id: "f11d11844af0b2c7e1",
  name: "magical_murdock",
  rootfsImage: "sha256:5d0da3dc9764",
  rootfsImageName: "quay.io/example/hello:latest",
  runtime: "crun",
  createdTime: "2026-02-28T09:43:52.5Z",
  checkpointedTime: "2026-02-28T10:01:02Z",
  restoredTime: "0001-01-01T00:00:00Z",
  restored: false,
};
const PODMAN_SPEC = {
  ociVersion: "1.1.0",
  hostname: "hello",
  process: { args: ["/bin/sh", "-c", "exec sleep 1000"], cwd: "/" },
  mounts: [
    { destination: "/proc", type: "proc", source: "proc" },
    { destination: "/data", type: "bind", source: "/srv/data", options: ["rbind"] },
  ],
  annotations: { "io.container.manager": "libpod" },
};

Deno.test("show of a Podman archive prints the container's facts beside the fd tables", async () => {
  if (!haveCorpus("container facts")) return;
  const dir = Deno.makeTempDirSync();
  const path = join(dir, "podman.tar.gz");
  try {
    const members = podmanMembers("pipes").filter((m) => !m.name.endsWith(".dump"));
    members.push({ name: "config.dump", data: json(PODMAN_CONFIG) });
    members.push({ name: "spec.dump", data: json(PODMAN_SPEC) });
    Deno.writeFileSync(path, await gzip(tarBytes(members)));
    const r = await runCli(["show", "--json", "-D", path]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).container, {
      engine: "Podman",
      name: PODMAN_CONFIG.name,
      id: PODMAN_CONFIG.id,
      image: PODMAN_CONFIG.rootfsImageName,
      image_id: PODMAN_CONFIG.rootfsImage,
      runtime: PODMAN_CONFIG.runtime,
      created: PODMAN_CONFIG.createdTime,
      checkpointed: PODMAN_CONFIG.checkpointedTime,
      hostname: PODMAN_SPEC.hostname,
      command: PODMAN_SPEC.process.args,
      mounts: PODMAN_SPEC.mounts.map(({ destination, type, source }) => ({
        destination,
        type,
        source,
      })),
    });
    const text = (await runCli(["show", "-D", path])).stdout.split("\n");
    assert.equal(text[0], `container ${PODMAN_CONFIG.name}  Podman, runtime crun`);
    for (
      const want of [
        PODMAN_CONFIG.id,
        PODMAN_CONFIG.rootfsImageName,
        "'exec sleep 1000'",
        "/data (bind) from /srv/data",
      ]
    ) {
      assert.ok(
        text.slice(0, 12).some((l) => l.includes(want)),
        `no ${want} in\n${text.join("\n")}`,
      );
    }
    assert.ok(text.some((l) => /^task \d+ pipes/.test(l)));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a CRI-O archive is named by its annotations; a config.dump that is not JSON is exit 3", async () => {
  if (!haveCorpus("CRI-O facts")) return;
  const dir = Deno.makeTempDirSync();
  try {
    const base = podmanMembers("pipes").filter((m) => !m.name.endsWith(".dump"));
    const crio = join(dir, "crio.tar");
    const spec = { annotations: { "io.kubernetes.cri-o.ContainerName": "counter" } };
    Deno.writeFileSync(crio, tarBytes([...base, { name: "spec.dump", data: json(spec) }]));
    const r = await runCli(["show", "--json", "-D", crio]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).container, { engine: "CRI-O", name: "counter" });
    const bad = join(dir, "bad.tar");
    Deno.writeFileSync(
      bad,
      tarBytes([...base, { name: "config.dump", data: enc.encode("{oops") }]),
    );
    const b = await runCli(["show", "-D", bad]);
    assert.equal(b.code, 3);
    assert.match(b.stderr, /^fdrestore: error: .*bad\.tar:config\.dump: not JSON/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("check of an archive resolves paths under --root and names the file missing there", async () => {
  if (!haveCorpus("archive --root")) return;
  const dir = Deno.makeTempDirSync();
  try {
    const archive = join(dir, "pipes.tar");
    Deno.writeFileSync(archive, tarBytes(podmanMembers("pipes")));
    Deno.mkdirSync(join(dir, "rootfs"));
    const r = await runCli(["check", "-D", archive, "--root", join(dir, "rootfs")]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /^fdrestore: error: fd 0 of task \d+: Unable to open \/dev\/null .*ENOENT/,
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("show --root looks paths up inside the rootfs: an absolute symlink there never reaches the host", async () => {
  if (!haveCorpus("show --root")) return;
  const dir = Deno.makeTempDirSync();
  try {
    const archive = join(dir, "reg-files.tar");
    Deno.writeFileSync(archive, tarBytes(podmanMembers("reg-files")));
    const folder = join(dir, "rootfs", "tmp", "criu-corpus", "reg-files");
    Deno.mkdirSync(folder, { recursive: true });
    // On the host, the file the symlink names exists with the size the image recorded.
    const outside = join(dir, "outside.txt");
    Deno.writeFileSync(outside, new Uint8Array(4096));
    Deno.symlinkSync(outside, join(folder, "read.txt"));
    Deno.writeFileSync(join(folder, "rw.bin"), new Uint8Array(10)); // recorded: 8192 bytes
    const r = await runCli(["show", "--json", "-D", archive, "--root", join(dir, "rootfs")]);
    assert.equal(r.code, 0, r.stderr);
    const reasons = JSON.parse(r.stdout).needs.map((n: { reason: string }) => n.reason);
    const about = (name: string) => reasons.filter((x: string) => x.includes(`/${name} `));
    assert.ok(about("read.txt").length > 0, reasons.join("\n"));
    for (const reason of about("read.txt")) assert.match(reason, /read\.txt does not exist$/);
    assert.deepEqual(about("rw.bin"), [
      "File /tmp/criu-corpus/reg-files/rw.bin has bad size 10 (expect 8192)",
    ]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
