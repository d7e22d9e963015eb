/**
 * Images no mutation of bytes can make: a FIFO or a symlink to a device in
 * place of an image, and an image grown by repeating its first entry. Each
 * runs through the real command, with a deadline and a ceiling on the peak
 * RSS of the child (GNU time's maxrss), never a timing.
 */
import { join } from "node:path";
import { repeatFirstEntry } from "../../scripts/bench/big_images.ts";
import type { SeedDir } from "./fuzz_mutate.ts";
import { runMeasured } from "./peak_rss.ts";

const MB = 1 << 20;
/** Above the runtime's own peak: what decode holds before writing, and slack. */
const CONSTANT = 40 * MB;
const DEADLINE_MS = 20_000;
const EXIT_CODES = new Set([0, 1, 2, 3, 4, 5]);

export type Plant = "fifo" | "/dev/zero" | "/dev/urandom" | "repeat";

export interface PlantedCase {
  readonly seed: SeedDir;
  readonly file: string;
  readonly plant: Plant;
}

/** A case for each plant on a few images that every command reads. */
export function plantedCases(seeds: readonly SeedDir[]): PlantedCase[] {
  const out: PlantedCase[] = [];
  const sample = seeds.find((s) => s.name === "sample") ?? seeds[0];
  const names = [...sample.files.keys()];
  const core = names.find((n) => n.startsWith("core-"))!;
  const fdinfo = names.find((n) => n.startsWith("fdinfo-"))!;
  out.push({ seed: sample, file: "files.img", plant: "fifo" });
  out.push({ seed: sample, file: core, plant: "/dev/zero" });
  out.push({ seed: sample, file: "pstree.img", plant: "/dev/urandom" });
  for (const file of ["files.img", core, fdinfo, "inventory.img"]) {
    out.push({ seed: sample, file, plant: "repeat" });
  }
  return out;
}

/** Size an image is grown to by "repeat". */
export const REPEAT_BYTES = 24e6;

/**
 * Plants the case in a copy of its seed folder (under `base`), runs decode,
 * show and check, and returns one line per problem.
 */
export async function runPlanted(c: PlantedCase, base: string, root: string): Promise<string[]> {
  const dir = Deno.makeTempDirSync({ dir: base, prefix: `${c.seed.name}-` });
  const problems: string[] = [];
  try {
    for (const [name, bytes] of c.seed.files) Deno.writeFileSync(join(dir, name), bytes);
    const commands: Record<string, string[]> = {
      decode: ["decode", "-i", join(dir, c.file), "-o", join(base, "out.json")],
      show: ["show", "-D", dir, "--json"],
      check: ["check", "-D", dir, "--root", root],
    };
    const baseline = new Map<string, number | undefined>();
    for (const [target, args] of Object.entries(commands)) {
      baseline.set(target, (await runMeasured(args, { stdout: "null" })).peak);
    }
    const path = join(dir, c.file);
    Deno.removeSync(path);
    if (c.plant === "fifo") new Deno.Command("mkfifo", { args: [path] }).outputSync();
    else if (c.plant === "repeat") {
      Deno.writeFileSync(path, c.seed.files.get(c.file)!);
      repeatFirstEntry(path, REPEAT_BYTES);
    } else Deno.symlinkSync(c.plant, path);
    let largest = 0;
    for (const e of Deno.readDirSync(dir)) {
      largest = Math.max(largest, Deno.lstatSync(join(dir, e.name)).size);
    }
    for (const [target, args] of Object.entries(commands)) {
      const r = await runMeasured(args, { stdout: "null", deadlineMs: DEADLINE_MS });
      const err = r.stderr.trimEnd();
      const base = baseline.get(target);
      const ceiling = base === undefined ? undefined : base + 3 * largest + CONSTANT;
      let problem: string | undefined;
      if (r.killed) problem = `still running after ${DEADLINE_MS} ms`;
      else if (!EXIT_CODES.has(r.code)) problem = `exit code ${r.code}`;
      else if (err.includes("\n")) problem = `stderr has ${err.split("\n").length} lines`;
      else if (r.code !== 0 && !err.startsWith("fdrestore: error: ")) problem = `stderr: ${err}`;
      else if (ceiling !== undefined && r.peak !== undefined && r.peak > ceiling) {
        problem = `peak RSS ${(r.peak / MB).toFixed(0)} MiB > ${(ceiling / MB).toFixed(0)} MiB`;
      }
      if (problem) problems.push(`${c.seed.name}/${c.file} (${c.plant}): ${target}: ${problem}`);
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
  return problems;
}
