/**
 * The fd table of a live process as /proc shows it, reduced to what a restore
 * must reproduce: path, status flags, offset and the locks on each fd
 * (`lock:` lines of fdinfo). Used by scripts/real/*.sh to record what criu's
 * restore gives, and by tests to read what fdrestore's gives.
 * `deno run --allow-read tests/support/proc_fds.ts PID` prints it as JSON.
 */

export interface FdLock {
  /** POSIX, FLOCK, OFDLCK, LEASE. */
  kind: string;
  /** READ or WRITE. */
  rw: string;
  /** "self" when the lock's pid is the process, else the pid as /proc shows it (-1: OFD). */
  owner: string;
  start: string;
  end: string;
}

export interface ProcFd {
  fd: number;
  path: string;
  /** fdinfo `flags:`, octal. */
  flags: string;
  pos: string;
  locks: FdLock[];
}

export function procFds(pid: number): ProcFd[] {
  const out: ProcFd[] = [];
  for (const e of Deno.readDirSync(`/proc/${pid}/fd`)) {
    const fd = Number(e.name);
    const path = Deno.readLinkSync(`/proc/${pid}/fd/${fd}`);
    const info = Deno.readTextFileSync(`/proc/${pid}/fdinfo/${fd}`);
    const field = (name: string) => info.match(new RegExp(`^${name}:\\s*(\\S+)`, "m"))?.[1] ?? "";
    const locks: FdLock[] = [];
    for (const m of info.matchAll(/^lock:\s*\d+:\s*(.*)$/gm)) {
      // KIND MODE RW PID MAJ:MIN:INO START END (an OFD lock's pid is -1)
      const [kind, , rw, lpid, , start, end] = m[1].trim().split(/\s+/);
      locks.push({ kind, rw, owner: lpid === String(pid) ? "self" : lpid, start, end });
    }
    out.push({ fd, path, flags: field("flags"), pos: field("pos"), locks });
  }
  return out.sort((a, b) => a.fd - b.fd);
}

if (import.meta.main) {
  console.log(JSON.stringify(procFds(Number(Deno.args[0])), null, 1));
}
