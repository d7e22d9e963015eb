/**
 * Memory follows the largest image, not its entry count or its JSON: peak
 * RSS of the command (measured on the child) stays below the runtime's own
 * plus 3x the image plus the 32 MiB decode holds before writing. Images are
 * made by the writer at run time; no big file is committed.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { repeatFirstEntry, writeBigFiles, writeBigGhost } from "../scripts/bench/big_images.ts";
import { haveGnuTime, runMeasured } from "./support/peak_rss.ts";

const SAMPLE = fileURLToPath(new URL("../samples/sleeper/images/", import.meta.url));
const MB = 1 << 20;
/** What decode may hold before it writes (HOLD_BYTES), and some slack. */
const CONSTANT = 40 * MB;

/** Peak RSS of a command on a tiny image: the runtime itself. */
async function runtimePeak(): Promise<number> {
  const r = await runMeasured(["decode", "-i", join(SAMPLE, "ids-4848.img")], { stdout: "null" });
  assert.equal(r.code, 0, r.stderr);
  return r.peak!;
}

async function assertBounded(args: string[], imageBytes: number, base: number): Promise<void> {
  const r = await runMeasured(args, { stdout: "null", deadlineMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  const limit = base + 3 * imageBytes + CONSTANT;
  assert.ok(
    r.peak! <= limit,
    `${args.join(" ")}: peak RSS ${(r.peak! / MB).toFixed(0)} MiB > ` +
      `${(base / MB).toFixed(0)} + 3 x ${(imageBytes / MB).toFixed(0)} + ${CONSTANT / MB} MiB`,
  );
}

Deno.test("decode of a 24 MB files.img stays within 3x the image, plain and pretty", async () => {
  if (!haveGnuTime("decode memory")) return;
  const dir = Deno.makeTempDirSync({ prefix: "fdrestore-memory-" });
  try {
    const image = join(dir, "files.img");
    writeBigFiles(image, 24e6);
    const base = await runtimePeak();
    const size = Deno.statSync(image).size;
    await assertBounded(["decode", "-i", image], size, base);
    await assertBounded(["decode", "--pretty", "-i", image], size, base);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("decode of a 16 MB ghost file stays within 3x the image", async () => {
  if (!haveGnuTime("decode memory")) return;
  const dir = Deno.makeTempDirSync({ prefix: "fdrestore-memory-" });
  try {
    const image = join(dir, "ghost-file-1.img");
    writeBigGhost(image, 16e6);
    const base = await runtimePeak();
    await assertBounded(["decode", "--pretty", "-i", image], Deno.statSync(image).size, base);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("show reads only the first entry of a core image of 24 MB of repeated entries", async () => {
  if (!haveGnuTime("show memory")) return;
  const dir = Deno.makeTempDirSync({ prefix: "fdrestore-memory-" });
  try {
    for (const e of Deno.readDirSync(SAMPLE)) {
      if (e.isFile) Deno.copyFileSync(join(SAMPLE, e.name), join(dir, e.name));
    }
    const core = join(dir, "core-4848.img");
    repeatFirstEntry(core, 24e6);
    const base = (await runMeasured(["show", "-D", SAMPLE], { stdout: "null" })).peak!;
    // The image is read whole (a bounded read), but only its first entry is decoded.
    await assertBounded(["show", "-D", dir], Deno.statSync(core).size, base);
    await assertBounded(["show", "-D", dir, "--json"], Deno.statSync(core).size, base);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
