/**
 * Makes a synthetic checkpoint with N fds from the sample's images: the
 * sample task with its fd table replaced by a regular mix — a /dev/null open,
 * a dup of it, and both ends of a fresh pipe, repeated — so benchmarks can
 * scale a real image set to any size.
 */
import { join } from "node:path";
import { readEntries } from "../../src/image/mod.ts";
import { encodeImage } from "../../tests/support/image_writer.ts";

const SAMPLE = new URL("../../samples/sleeper/images/", import.meta.url).pathname;

export function makeCheckpoint(dir: string, nFds: number): void {
  for (const e of Deno.readDirSync(SAMPLE)) {
    if (e.isFile) Deno.copyFileSync(join(SAMPLE, e.name), join(dir, e.name));
  }
  const [ids] = readEntries(SAMPLE, "ids", readEntries(SAMPLE, "pstree")[0].pid);
  // Keep the files fs/mm name (exe, cwd, root): they are the REG entries no fd uses.
  const used = new Set(readEntries(SAMPLE, "fdinfo", ids.files_id).map((e) => e.id));
  const files: Record<string, unknown>[] = readEntries(SAMPLE, "files")
    .filter((f) => !used.has(f.id)) as unknown as Record<string, unknown>[];
  let id = Math.max(...files.map((f) => Number(f.id))) + 1;
  const fown = { uid: 0, euid: 0, signum: 0, pid_type: 0, pid: 0 };
  const devNullMode = Deno.statSync("/dev/null").mode!;
  const fdinfo: Record<string, unknown>[] = [];
  let pipeId = 900_000;
  for (let fd = 0; fd < nFds; fd++) {
    switch (fd % 4) {
      case 0:
        files.push({
          type: 1,
          id,
          reg: { id, flags: 0o100000, pos: 0n, fown, name: "/dev/null", mode: devNullMode },
        });
        fdinfo.push({ id: id++, flags: 0, type: 1, fd });
        break;
      case 1: // a dup of the previous fd
        fdinfo.push({ id: id - 1, flags: 1, type: 1, fd });
        break;
      case 2:
      case 3: {
        const write = fd % 4 === 3;
        if (!write) pipeId++;
        files.push({ type: 2, id, pipe: { id, pipe_id: pipeId, flags: write ? 1 : 0, fown } });
        fdinfo.push({ id: id++, flags: 0, type: 2, fd });
        break;
      }
    }
  }
  Deno.writeFileSync(join(dir, "files.img"), encodeImage("FILES", files));
  Deno.writeFileSync(join(dir, `fdinfo-${ids.files_id}.img`), encodeImage("FDINFO", fdinfo));
  try {
    Deno.removeSync(join(dir, "pipes-data.img"));
    Deno.removeSync(join(dir, "sk-queues.img"));
  } catch {
    // not there
  }
}
