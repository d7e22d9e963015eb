import assert from "node:assert/strict";
import { close, fstat, O } from "./mod.ts";
import { openInRoot, pathInRoot, realPathInRoot } from "./in_root.ts";
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

Deno.test("pathInRoot and realPathInRoot give real paths inside the root", () => {
  const { root, done } = hostileRoot();
  try {
    const real = Deno.realPathSync(root);
    assert.equal(pathInRoot(root, "../../dir/sock"), `${real}/dir/sock`);
    assert.equal(pathInRoot(root, "slash/dir/.."), real);
    assert.equal(realPathInRoot(root, "/../dir"), `${real}/dir`);
    assert.throws(() => pathInRoot(root, "dir/up/x"), /ENOENT/);
    assert.equal(pathInRoot("/", "/a/../b"), "/a/../b"); // the real root: unchanged
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
