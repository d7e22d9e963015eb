/**
 * Images that are not regular files, as an attacker or a mistake leaves
 * them: a FIFO (the open used to block for ever), a symlink to /dev/zero or
 * /dev/urandom (memory grew until the OOM killer), a device given to decode.
 * Each ends at once in one line and exit 3 naming the image.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runMeasured } from "./support/peak_rss.ts";

const SAMPLE = fileURLToPath(new URL("../samples/sleeper/images/", import.meta.url));
const DEADLINE_MS = 15_000;

/** A copy of the sample's images with `image` replaced by what `plant` puts there. */
function sampleWith(image: string, plant: (path: string) => void): string {
  const dir = Deno.makeTempDirSync({ prefix: "fdrestore-images-" });
  for (const e of Deno.readDirSync(SAMPLE)) {
    if (e.isFile) Deno.copyFileSync(join(SAMPLE, e.name), join(dir, e.name));
  }
  Deno.removeSync(join(dir, image));
  plant(join(dir, image));
  return dir;
}

const fifo = (path: string) => new Deno.Command("mkfifo", { args: [path] }).outputSync();
const linkTo = (target: string) => (path: string) => Deno.symlinkSync(target, path);

function assertRefused(r: Awaited<ReturnType<typeof runMeasured>>, image: string, what: string) {
  assert.ok(!r.killed, `still running after ${DEADLINE_MS} ms`);
  assert.equal(r.code, 3, r.stderr);
  assert.equal(
    r.stderr,
    `fdrestore: error: cannot read ${image}: the image is ${what}, not a regular file ` +
      `(criu writes images as regular files)\n`,
  );
}

for (const image of ["files.img", "core-4848.img", "pstree.img", "pages-1.img"]) {
  Deno.test(`a FIFO as ${image} ends show and check with exit 3 at once, not a hang`, async () => {
    const dir = sampleWith(image, fifo);
    try {
      for (const command of ["show", "check"]) {
        const r = await runMeasured([command, "-D", dir], { deadlineMs: DEADLINE_MS });
        assertRefused(r, image, "a FIFO");
      }
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  });
}

for (const device of ["/dev/zero", "/dev/urandom"]) {
  Deno.test(`files.img as a symlink to ${device} is refused without a read`, async () => {
    const dir = sampleWith("files.img", linkTo(device));
    try {
      const r = await runMeasured(["show", "-D", dir], { deadlineMs: DEADLINE_MS });
      assertRefused(r, "files.img", "a symbolic link");
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  });
}

Deno.test("a symlink to a real image is refused too: criu never makes one", async () => {
  const dir = sampleWith("core-4848.img", linkTo(join(SAMPLE, "core-4848.img")));
  try {
    const r = await runMeasured(["decode", "-i", join(dir, "core-4848.img")]);
    assertRefused(r, "core-4848.img", "a symbolic link");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("decode -i /dev/zero and decode with /dev/zero on stdin refuse the device", async () => {
  const named = await runMeasured(["decode", "-i", "/dev/zero"], { deadlineMs: DEADLINE_MS });
  assertRefused(named, "zero", "a character device");
  const piped = await new Deno.Command("sh", {
    args: ["-c", `exec "$0" decode < /dev/zero`, join(SAMPLE, "../../../scripts/fdrestore-dev")],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(DEADLINE_MS),
  }).output();
  assert.equal(piped.code, 3);
  assert.equal(
    new TextDecoder().decode(piped.stderr),
    "fdrestore: error: cannot read stdin: stdin is a character device, not a regular file or a pipe\n",
  );
});

Deno.test("decode reads an image from a pipe on stdin, with -i - or without -i", async () => {
  const want = await runMeasured(["decode", "-i", join(SAMPLE, "core-4848.img")]);
  assert.equal(want.code, 0, want.stderr);
  for (const args of [["decode", "-i", "-"], ["decode"]]) {
    const r = await runMeasured(args, { stdin: join(SAMPLE, "core-4848.img") });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout, want.stdout);
  }
});

Deno.test("an images folder reached through a symlink is read as usual", async () => {
  const base = Deno.makeTempDirSync({ prefix: "fdrestore-images-" });
  try {
    Deno.symlinkSync(SAMPLE, join(base, "latest"));
    const r = await runMeasured(["show", "-D", join(base, "latest")]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(new TextDecoder().decode(r.stdout), /task 4848/);
  } finally {
    Deno.removeSync(base, { recursive: true });
  }
});
