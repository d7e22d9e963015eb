/**
 * Builds checkpoints of process trees for tests, from the sample's images:
 * each task gets the sample's core, mm and pages (so argv and environment
 * read back), its own pstree entry, ids (files_id), fs (cwd), and an fd
 * table made of /dev/null opens and pipe ends as the spec says.
 */
import { join } from "node:path";
import { readEntries } from "../../src/image/mod.ts";
import { encodeImage } from "./image_writer.ts";
import { REPO_ROOT } from "./corpus.ts";
import { runCli } from "./cli.ts";

const SAMPLE = join(REPO_ROOT, "samples", "sleeper", "images");
const SAMPLE_PID = 4848;

/**
 * A file of the fixture: /dev/null (read or write), one end of pipe N, or a
 * pidfd of the task whose dumped pid is `pidfd` (-1: a process that ended;
 * `ino`, its pidfs inode at dump time, tells such processes apart).
 */
export type FileSpec =
  | { null: "r" | "w" }
  | { pipe: number; end: "r" | "w" }
  | { pidfd: number; ino?: number; flags?: number };

export interface TaskSpec {
  pid: number;
  ppid: number;
  pgid?: number;
  sid?: number;
  /** Equal to the parent's to share its table (CLONE_FILES); default: the pid. */
  filesId?: number;
  /** A cwd other than the sample's (e.g. a missing one, to make the start fail). */
  cwd?: string;
  /** A root other than "/" (fs.img root_id), as a chrooted task has. */
  root?: string;
  /** fd number → name of a file in `files` (one name = one description). */
  fds: Record<number, string>;
}

export function writeTreeCheckpoint(
  dir: string,
  tasks: TaskSpec[],
  files: Record<string, FileSpec>,
): void {
  for (const name of ["inventory.img", "pages-1.img"]) {
    Deno.copyFileSync(join(SAMPLE, name), join(dir, name));
  }
  // Keep the sample's exe/cwd/root entries; fixture files get ids from 100.
  const out: Record<string, unknown>[] = readEntries(SAMPLE, "files")
    .filter((f) => f.type === 1 && [1, 10, 11].includes(f.id)) as unknown as Record<
      string,
      unknown
    >[];
  const fown = { uid: 0, euid: 0, signum: 0, pid_type: 0, pid: 0 };
  const ids = new Map<string, number>();
  let next = 100;
  const devNullMode = Deno.statSync("/dev/null").mode!;
  for (const [name, spec] of Object.entries(files)) {
    const id = next++;
    ids.set(name, id);
    if ("null" in spec) {
      const flags = spec.null === "w" ? 0o100001 : 0o100000;
      out.push({
        type: 1,
        id,
        reg: { id, flags, pos: 0n, fown, name: "/dev/null", mode: devNullMode },
      });
    } else if ("pidfd" in spec) {
      const pidfd = { id, ino: spec.ino ?? 0, flags: spec.flags ?? 0, nspid: spec.pidfd, fown };
      out.push({ type: 20, id, pidfd });
    } else {
      out.push({
        type: 2,
        id,
        pipe: { id, pipe_id: spec.pipe, flags: spec.end === "w" ? 1 : 0, fown },
      });
    }
  }
  const fs = readEntries(SAMPLE, "fs", SAMPLE_PID)[0];
  const [sampleIds] = readEntries(SAMPLE, "ids", SAMPLE_PID);
  for (const t of tasks) {
    for (const image of ["core", "mm", "pagemap"]) {
      Deno.copyFileSync(
        join(SAMPLE, `${image}-${SAMPLE_PID}.img`),
        join(dir, `${image}-${t.pid}.img`),
      );
    }
    const filesId = t.filesId ?? t.pid;
    write(dir, `ids-${t.pid}.img`, "IDS", [{ ...sampleIds, files_id: filesId }]);
    let cwdId = fs.cwd_id;
    if (t.cwd !== undefined) {
      cwdId = next++;
      out.push({ type: 1, id: cwdId, reg: { id: cwdId, flags: 0, pos: 0n, fown, name: t.cwd } });
    }
    let rootId = fs.root_id;
    if (t.root !== undefined) {
      rootId = next++;
      out.push({ type: 1, id: rootId, reg: { id: rootId, flags: 0, pos: 0n, fown, name: t.root } });
    }
    write(dir, `fs-${t.pid}.img`, "FS", [{ ...fs, cwd_id: cwdId, root_id: rootId }]);
    if (t.filesId !== undefined && t.filesId !== t.pid) continue; // the owner writes the table
    const fdinfo = Object.entries(t.fds)
      .map(([fd, name]) => ({
        id: ids.get(name)!,
        flags: 0,
        type: fdType(files[name]),
        fd: Number(fd),
      }))
      .sort((a, b) => a.fd - b.fd);
    write(dir, `fdinfo-${filesId}.img`, "FDINFO", fdinfo);
  }
  const pstree = tasks.map((t) => ({
    pid: t.pid,
    ppid: t.ppid,
    pgid: t.pgid ?? tasks[0].pid,
    sid: t.sid ?? tasks[0].pid,
    threads: [t.pid],
  }));
  write(dir, "pstree.img", "PSTREE", pstree);
  write(dir, "files.img", "FILES", out);
}

function fdType(spec: FileSpec): number {
  return "null" in spec ? 1 : "pipe" in spec ? 2 : 20;
}

function write(dir: string, name: string, kind: string, entries: Record<string, unknown>[]): void {
  Deno.writeFileSync(join(dir, name), encodeImage(kind, entries));
}

/** Live processes: pid → {ppid, pgid, sid, fds: fd → link} from /proc. */
export function procInfo(
  pid: number,
): { ppid: number; pgid: number; sid: number; fds: Map<number, string> } {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const fds = new Map<number, string>();
  for (const e of Deno.readDirSync(`/proc/${pid}/fd`)) {
    fds.set(Number(e.name), Deno.readLinkSync(`/proc/${pid}/fd/${e.name}`));
  }
  return { ppid: Number(f[1]), pgid: Number(f[2]), sid: Number(f[3]), fds };
}

/** Pids of live (non-zombie) processes whose command line contains `marker`. */
export function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const cmd = Deno.readTextFileSync(`/proc/${e.name}/cmdline`);
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      if (cmd.includes(marker) && !stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) {
        found.push(Number(e.name));
      }
    } catch {
      // gone while we looked
    }
  }
  return found;
}

/** Pids of live (non-zombie) processes whose environment holds `entry` (NAME=value). */
export function processesWithEnv(entry: string): number[] {
  const found: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const env = Deno.readTextFileSync(`/proc/${e.name}/environ`).split("\0");
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      if (env.includes(entry) && !stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) {
        found.push(Number(e.name));
      }
    } catch {
      // gone while we looked, or not ours to read
    }
  }
  return found;
}

/** A unique sleep so the started tasks can be found (and killed) by command line. */
export function marker(): string[] {
  return ["/bin/sleep", `1000.${crypto.getRandomValues(new Uint32Array(1))[0]}`];
}

export function killAll(pids: Iterable<number>): void {
  for (const pid of pids) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

export async function restoreTree(
  tasks: TaskSpec[],
  files: Parameters<typeof writeTreeCheckpoint>[2],
  program: string[],
  more: { args?: string[]; env?: Record<string, string> } = {},
): Promise<{ code: number; stderr: string; pids: Map<number, number> }> {
  const dir = Deno.makeTempDirSync({ prefix: "fdrestore-tree-" });
  try {
    writeTreeCheckpoint(dir, tasks, files);
    const map = join(dir, "pids.json");
    const args = ["restore", "-D", dir, "-d", "--pid-map", map, ...more.args ?? []];
    const r = await runCli([...args, "--", ...program], { env: more.env });
    let pids = new Map<number, number>();
    try {
      pids = new Map(
        Object.entries(JSON.parse(Deno.readTextFileSync(map))).map((
          [k, v],
        ) => [Number(k), Number(v)]),
      );
    } catch {
      // no map: the restore failed
    }
    return { code: r.code, stderr: r.stderr, pids };
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}
