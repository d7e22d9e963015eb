/**
 * What a restore checks before it reads an image or starts anything: /proc
 * is there, `--root` is a folder, and its outputs (--pidfile, --pid-map) can
 * be made. The outputs are made at once as new, unnamed-yet files
 * (src/cli/out_file.ts); they get their names only once the tasks run, and
 * are removed again if the restore rolls back.
 */
import { EXIT, FdrestoreError, UsageError } from "../errors.ts";
import { OutFile } from "./out_file.ts";
import type { CheckOptions, RestoreOptions } from "./options.ts";
import { close, errnoText, O, open, SysError } from "../sys/mod.ts";
import { resolve } from "../sys/path.ts";

function reason(e: unknown): string {
  return e instanceof SysError ? `${e.code} (${errnoText(e.errno)})` : String(e);
}

/** Files are reopened through /proc/self/fd: without /proc nothing can be restored. */
export function requireProc(): void {
  try {
    close(open("/proc/self/fd", O.RDONLY | O.DIRECTORY | O.CLOEXEC));
  } catch (e) {
    throw new FdrestoreError(
      `/proc is not usable (/proc/self/fd: ${reason(e)}): fdrestore reopens files through ` +
        `/proc/self/fd; mount proc on /proc`,
      EXIT.SYSTEM,
      { cause: e },
    );
  }
}

/** `--root DIR` must be a folder we can open. */
export function checkRoot(root: string): void {
  try {
    close(open(root, O.PATH | O.DIRECTORY | O.CLOEXEC));
  } catch (e) {
    throw new UsageError(`--root ${root}: ${reason(e)}`, { cause: e });
  }
}

/** The text of an output, once the new pids are known. */
type Render = (rootPid: number, pids: ReadonlyMap<number, number>) => string;

/** The pid file and pid map of a restore, made before anything starts. */
export class RestoreOutputs {
  readonly #files: [OutFile, Render][] = [];

  constructor(opts: RestoreOptions | CheckOptions) {
    if (opts.command !== "restore") return;
    // Relative paths go into the work directory, as criu's do.
    const add = (label: string, path: string | undefined, text: Render) => {
      if (path === undefined) return;
      try {
        this.#files.push([OutFile.create(label, resolve(opts.workDir, path)), text]);
      } catch (e) {
        this.discard();
        throw e;
      }
    };
    add("--pid-map", opts.pidMap, (_, pids) => {
      const map = Object.fromEntries([...pids].map(([old, now]) => [String(old), now]));
      return JSON.stringify(map) + "\n";
    });
    add("--pidfile", opts.pidfile, (rootPid) => `${rootPid}\n`);
  }

  /** Writes them and puts them at their names (readers never see half of one). */
  commit(rootPid: number, pids: ReadonlyMap<number, number>): void {
    const encoder = new TextEncoder();
    for (const [file, text] of this.#files) file.write(encoder.encode(text(rootPid, pids)));
    for (const [file] of this.#files) file.commit();
  }

  /** Keeps what was committed. */
  close(): void {
    for (const [file] of this.#files.splice(0)) file.close();
  }

  /** Removes every file this run made, committed or not. */
  discard(): void {
    for (const [file] of this.#files.splice(0)) file.discard();
  }
}
