import assert from "node:assert/strict";
import { readImageBytes } from "./image_open.ts";

const REFUSED = "(criu writes images as regular files)";

Deno.test("readImageBytes reads a regular image whole, and a missing one as undefined when asked", () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeFileSync(`${dir}/a.img`, new Uint8Array([1, 2, 3]));
    assert.deepEqual(readImageBytes(`${dir}/a.img`), new Uint8Array([1, 2, 3]));
    assert.equal(readImageBytes(`${dir}/none.img`, true), undefined);
    assert.throws(() => readImageBytes(`${dir}/none.img`), {
      name: "ImageError",
      message: "cannot read none.img: ENOENT (No such file or directory)",
    });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("readImageBytes refuses a FIFO, a symlink, a device and a directory before reading", () => {
  const dir = Deno.makeTempDirSync();
  try {
    new Deno.Command("mkfifo", { args: [`${dir}/fifo.img`] }).outputSync();
    Deno.symlinkSync("/dev/zero", `${dir}/zero.img`);
    Deno.mkdirSync(`${dir}/dir.img`);
    const cases: [string, string][] = [
      [
        `${dir}/fifo.img`,
        `cannot read fifo.img: the image is a FIFO, not a regular file ${REFUSED}`,
      ],
      [
        `${dir}/zero.img`,
        `cannot read zero.img: the image is a symbolic link, not a regular file ${REFUSED}`,
      ],
      [
        "/dev/null",
        `cannot read null: the image is a character device, not a regular file ${REFUSED}`,
      ],
      [
        `${dir}/dir.img`,
        `cannot read dir.img: the image is a directory, not a regular file ${REFUSED}`,
      ],
    ];
    for (const [path, message] of cases) {
      assert.throws(() => readImageBytes(path, true), { name: "ImageError", message });
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
