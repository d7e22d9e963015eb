/**
 * The fdrestore the benchmarks measure: FDRESTORE_BIN when set, else the
 * bundle (what ships), built fresh into a temp dir with a launcher that runs
 * it as test_builds.sh does. From source, Deno would also type-strip and load
 * ~280 modules on every run, which users never pay.
 */
import { join } from "node:path";
import { bundle, DENO } from "../bundle.ts";
import { PERMISSIONS, V8_FLAGS } from "../../src/restore/self_exec.ts";

export interface UnderTest {
  /** The command to run. */
  readonly bin: string;
  /** What it is, for the report. */
  readonly label: string;
  /** Removes what was built. */
  dispose(): void;
}

export function fdrestoreUnderTest(): UnderTest {
  const given = Deno.env.get("FDRESTORE_BIN");
  if (given) return { bin: given, label: `FDRESTORE_BIN=${given}`, dispose() {} };
  const dir = Deno.makeTempDirSync({ prefix: "fdrestore-bench-bundle-" });
  Deno.chmodSync(dir, 0o755);
  const js = join(dir, "fdrestore.js");
  const hash = bundle(js);
  const bin = join(dir, "fdrestore");
  const flags = ["--quiet", "--no-config", "--no-lock", "--no-prompt", ...PERMISSIONS, ...V8_FLAGS];
  Deno.writeTextFileSync(bin, `#!/bin/sh\nexec "${DENO}" run ${flags.join(" ")} "${js}" "$@"\n`);
  Deno.chmodSync(bin, 0o755);
  return {
    bin,
    label: `the bundle of commit ${hash}`,
    dispose: () => Deno.removeSync(dir, { recursive: true }),
  };
}
