/**
 * The attacks of issue 16 item 3, run for real: a racer process swaps a
 * folder (or a fresh socket file) for a symlink with renameat2
 * RENAME_EXCHANGE in a tight loop while restores run. Every call after the
 * lookup goes through the resolved folder's descriptor, so the racer never
 * makes a restore unlink, link, chown or chmod anything outside the root.
 * The loops are bounded in count and time; their length is not asserted.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { haveCorpus, imagesOf } from "./support/corpus.ts";
import { startRacer } from "./support/race.ts";
import { haveRoot } from "./support/root.ts";
import { FD_TYPE, fileOf, loadCheckpoint } from "../src/model/mod.ts";
import { close, O, open, SOCK } from "../src/sys/mod.ts";
import { regOpener } from "../src/files/reg.ts";
import { unixSocketOpener } from "../src/files/unix_socket.ts";
import { oneTask, testContext } from "../src/files/_test_utils.ts";

const GHOST_DIR = "/tmp/criu-corpus/ghost-file";
const RESTORES = 30;
const RACE_MS = 3000;

/** Files outside the root that a won race would unlink, link over or change. */
const VICTIMS = ["link_remap.11", "hard-a.txt", "hard-b.txt", "ghost.txt", "sub/inner.bin"];

Deno.test("swapping a folder for a symlink never makes a --root restore unlink or create outside the root", async () => {
  if (!haveCorpus("--root race") || !haveRoot("--root race (ghosts as dumped, by root)")) return;
  const cp = loadCheckpoint(imagesOf("ghost-file"), { args: false });
  const base = Deno.makeTempDirSync({ prefix: "fdrestore-race-" });
  const root = join(base, "root");
  const outside = join(base, "outside");
  Deno.mkdirSync(join(root, GHOST_DIR, "sub"), { recursive: true });
  Deno.mkdirSync(join(outside, "sub"), { recursive: true });
  for (const v of VICTIMS) Deno.writeTextFileSync(join(outside, v), "victim");
  // The racer exchanges the real folder with this absolute symlink to `outside`.
  Deno.symlinkSync(outside, join(root, "tmp/criu-corpus/swap"));
  // The real folder, whatever name it has at the moment.
  const real = open(join(root, GHOST_DIR), O.PATH | O.DIRECTORY | O.CLOEXEC);
  const inReal = (name: string) => `/proc/self/fd/${real}/${name}`;
  const racer = startRacer(join(root, "tmp/criu-corpus"), "ghost-file", "swap", 1e7, RACE_MS);
  let restored = 0;
  try {
    const until = Date.now() + RACE_MS;
    for (let i = 0; i < 500 && (i < RESTORES || Date.now() < until); i++) {
      for (const n of ["link_remap.11", "hard-b.txt"]) rmQuiet(inReal(n));
      Deno.writeFileSync(inReal("link_remap.11"), new Uint8Array(128).fill(65), { mode: 0o644 });
      Deno.chmodSync(inReal("link_remap.11"), 0o644);
      Deno.linkSync(inReal("link_remap.11"), inReal("hard-b.txt"));
      const t = testContext(cp, root);
      const fds: number[] = [];
      try {
        for (const id of [10, 4, 7]) {
          fds.push(regOpener.open(t.ctx, fileOf(cp, FD_TYPE.REG, id)!) as number);
        }
        t.started();
        restored++;
      } catch {
        // the folder was the symlink at lookup time: resolved inside the root, not found
      } finally {
        fds.forEach(close);
        t.dispose();
      }
    }
    const swaps = await racer.swaps();
    assert.ok(swaps > 0, "the racer never swapped");
    for (const v of VICTIMS) assert.equal(Deno.readTextFileSync(join(outside, v)), "victim", v);
    assert.deepEqual([...Deno.readDirSync(outside)].map((e) => e.name).sort(), [
      "ghost.txt",
      "hard-a.txt",
      "hard-b.txt",
      "link_remap.11",
      "sub",
    ]);
    console.log(`  ${restored} restores completed, ${swaps} swaps`);
  } finally {
    await racer.swaps().catch(() => 0);
    close(real);
    Deno.removeSync(base, { recursive: true });
  }
});

const enc = new TextEncoder();

Deno.test("swapping a fresh socket file for a symlink never chowns or chmods what the symlink names", async () => {
  if (!haveRoot("socket race (the restore chowns to another user)")) return;
  for (const underRoot of [true, false]) {
    const base = Deno.makeTempDirSync({ prefix: "fdrestore-race-" });
    const root = underRoot ? join(base, "root") : "/";
    const box = underRoot ? join(base, "root", "box") : join(base, "box");
    Deno.mkdirSync(box, { recursive: true });
    Deno.chmodSync(box, 0o777); // a folder the attacker may write
    const secret = join(base, "secret");
    Deno.writeTextFileSync(secret, "root only");
    Deno.chmodSync(secret, 0o600);
    Deno.symlinkSync(secret, join(box, "ln"));
    const name = underRoot ? "/box/x.sock" : join(box, "x.sock");
    const cp = oneTask([{
      id: 1,
      type: FD_TYPE.UNIXSK,
      payload: {
        id: 1,
        ino: 77,
        type: SOCK.STREAM,
        state: 10, // listening
        flags: O.RDWR,
        uflags: 0,
        backlog: 1,
        peer: 0,
        name: enc.encode(name + "\0"),
        file_perms: { mode: 0o777, uid: 65534, gid: 65534 },
      },
      fds: [3],
    }]);
    const dir = open(box, O.PATH | O.DIRECTORY | O.CLOEXEC);
    const racer = startRacer(box, "x.sock", "ln", 1e7, RACE_MS);
    try {
      const until = Date.now() + RACE_MS;
      for (let i = 0; i < 2000 && (i < RESTORES || Date.now() < until); i++) {
        // Back to the start: no socket file, the symlink under the other name.
        for (const n of ["x.sock", "ln"]) rmQuiet(`/proc/self/fd/${dir}/${n}`);
        Deno.symlinkSync(secret, `/proc/self/fd/${dir}/ln`);
        const t = testContext(cp, root);
        try {
          close(unixSocketOpener.open(t.ctx, fileOf(cp, FD_TYPE.UNIXSK, 1)!) as number);
        } catch {
          // refused: the name was a symlink at bind time, or was replaced after it
        } finally {
          t.dispose();
        }
      }
      assert.ok(await racer.swaps() > 0, "the racer never swapped");
      const st = Deno.statSync(secret);
      assert.equal(st.uid, 0, `secret chowned (${underRoot ? "--root" : "no root"})`);
      assert.equal(
        st.mode! & 0o7777,
        0o600,
        `secret chmodded (${underRoot ? "--root" : "no root"})`,
      );
    } finally {
      await racer.swaps().catch(() => 0);
      close(dir);
      Deno.removeSync(base, { recursive: true });
    }
  }
});

function rmQuiet(path: string): void {
  try {
    Deno.removeSync(path);
  } catch {
    // not there
  }
}
