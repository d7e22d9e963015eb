/**
 * Decoding speed: writes a 100,000-entry files.img and fdinfo image into a
 * temp dir with the writer, then times the typed readers and crit JSON.
 * Usage: deno run -A scripts/bench_decode.ts [entries]
 */
import { decodeImageToJson, readEntries, renderJson } from "../src/image/mod.ts";
import { encodeImage } from "../tests/support/image_writer.ts";

const n = Number(Deno.args[0] ?? 100_000);
const dir = Deno.makeTempDirSync({ prefix: "fdrestore-bench-" });
const fown = { uid: 0, euid: 0, signum: 0, pid_type: 0, pid: 0 };
const files = Array.from({ length: n }, (_, i) => ({
  type: 1,
  id: i + 1,
  reg: {
    id: i + 1,
    flags: 0o100002,
    pos: BigInt(i),
    fown,
    name: `/tmp/bench/file-${i}.log`,
    size: 4096n,
  },
}));
Deno.writeFileSync(`${dir}/files.img`, encodeImage("FILES", files));
const fds = Array.from({ length: n }, (_, i) => ({ id: i + 1, flags: i & 1, type: 1, fd: i + 3 }));
Deno.writeFileSync(`${dir}/fdinfo-1.img`, encodeImage("FDINFO", fds));

function time(label: string, fn: () => number): void {
  const runs: number[] = [];
  let count = 0;
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    count = fn();
    runs.push(performance.now() - t);
  }
  const best = Math.min(...runs);
  const fmt = (x: number) => x.toFixed(1);
  console.log(
    `${label}: ${count} entries, first ${fmt(runs[0])} ms, best ${fmt(best)} ms, ` +
      `${Math.round(count / best * 1000).toLocaleString("en")} entries/s`,
  );
}

time("readEntries(files)", () => readEntries(dir, "files").length);
time("readEntries(fdinfo)", () => readEntries(dir, "fdinfo", 1).length);
time("crit JSON (pretty) files.img", () => {
  const v = decodeImageToJson(`${dir}/files.img`, { pretty: true });
  renderJson(v, true);
  return (v.entries as unknown[]).length;
});
Deno.removeSync(dir, { recursive: true });
