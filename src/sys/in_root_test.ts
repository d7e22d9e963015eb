import assert from "node:assert/strict";
import { close, fstat, O } from "./mod.ts";
import { openInRoot, realPathInRoot } from "./in_root.ts";
import { closePlace, openPlace } from "./place.ts";
import { readlink } from "./fd.ts";
import { leakChecked } from "./_testing.ts";

/** A root with a file inside, a secret outside, and every way out a path can try. */
function hostileRoot(): { root: string; outside: string; done: () => void } {
  const base = Deno.makeTempDirSync({ prefix: "fdrestore-inroot-" });
  const root = `${base}/root`;
  Deno.mkdirSync(`${root}/dir`, { recursive: true });
  Deno.writeTextFileSync(`${root}/inside.txt`, "inside");
  Deno.writeTextFileSync(`${base}/secret.txt`, "secret");
  Deno.symlinkSync(`${base}/secret.txt`, `${root}/abs-link`); // absolute, points out
  Deno.symlinkSync("/", `${root}/slash`); // a symlinked parent folder
  Deno.symlinkSync(base, `${root}/dir/up`);
  return {
    root,
    outside: `${base}/secret.txt`,
    done: () => Deno.removeSync(base, { recursive: true }),
  };
}

Deno.test(
  "openInRoot never leaves the root, whatever .. or symlinks the path holds",
  leakChecked(() => {
    const { root, done } = hostileRoot();
    try {
      const inside = inoAt(root, "inside.txt");
      for (
        const p of ["../secret.txt", "/../../secret.txt", "dir/up/secret.txt", "slash/secret.txt"]
      ) {
        assert.throws(() => inoAt(root, p), /ENOENT/, p);
      }
      // An absolute symlink is read as relative to the root: it names root/<base>/secret.txt.
      assert.throws(() => inoAt(root, "abs-link"), /ENOENT/);
      // `..` at the root stays at the root.
      assert.equal(inoAt(root, "../../inside.txt"), inside);
    } finally {
      done();
    }
  }),
);

Deno.test("openPlace holds the folder of a name inside the root; realPathInRoot gives real paths", () => {
  const { root, done } = hostileRoot();
  try {
    const real = Deno.realPathSync(root);
    const folderOf = (path: string) => {
      const p = openPlace(root, path);
      try {
        return [readlink(`/proc/self/fd/${p.dir}`), p.name];
      } finally {
        closePlace(p);
      }
    };
    assert.deepEqual(folderOf("../../dir/sock"), [`${real}/dir`, "sock"]);
    assert.deepEqual(folderOf("slash/dir/../x"), [real, "x"]);
    assert.deepEqual(folderOf("relative"), [real, "relative"]); // from the root, not the cwd
    assert.equal(realPathInRoot(root, "/../dir"), `${real}/dir`);
    assert.throws(() => openPlace(root, "dir/up/x"), /ENOENT/);
    assert.throws(() => openPlace(root, "dir/.."), /EINVAL/);
    const p = openPlace("/", "tmp/../tmp/x"); // the real root: relative counts from "/"
    assert.equal(readlink(`/proc/self/fd/${p.dir}`), "/tmp");
    closePlace(p);
  } finally {
    done();
  }
});

function inoAt(root: string, path: string): bigint | number {
  const fd = openInRoot(root, path, O.RDONLY | O.CLOEXEC);
  try {
    return fstat(fd).ino;
  } finally {
    close(fd);
  }
}
