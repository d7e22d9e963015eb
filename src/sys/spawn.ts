/**
 * Starting a program on an exact fd table with posix_spawn and file actions
 * (decision 4: never place fds over the runtime's own numbers in this process).
 *
 * @module
 */

import { POSIX_SPAWN } from "./consts.ts";
import { checkRc, SysError } from "./errno.ts";
import { cloexecFrom } from "./kinds.ts";
import { libc } from "./libc.ts";
import { planPlacement } from "./move.ts";
import { addressOf, alloc, cstr, sigset, sigsetAll, SIZEOF, view } from "./structs.ts";

/** What {@link spawn} starts and on which fds. */
export interface SpawnOptions {
  /** The program; with `search`, looked up in PATH like execvp. */
  path: string;
  search?: boolean;
  /** argv, including argv[0]. */
  argv: readonly string[];
  /** The environment as `NAME=value` strings or a record (required: nothing is implied). */
  env: readonly string[] | Readonly<Record<string, string>>;
  /** The child's whole fd table: target number → source fd in this process. */
  fds: ReadonlyMap<number, number>;
  /** Directory to start in (posix_spawn_file_actions_addchdir_np). */
  cwd?: string;
  /** Start a new session (POSIX_SPAWN_SETSID). */
  setsid?: boolean;
  /** Join or create process group (0: a new group led by the child). */
  setpgroup?: number;
  /** Reset every signal, including 32 and 33, to SIG_DFL (default true). */
  sigdefault?: boolean;
  /** Signals left out of that reset: one ignored here stays ignored in the child. */
  keepIgnored?: readonly number[];
}

/** C strings and the NULL-terminated pointer array to them (keep all alive). */
export function cArray(
  strings: readonly string[],
): { array: Uint8Array<ArrayBuffer>; keep: unknown[] } {
  const keep = strings.map(cstr);
  const array = alloc(8 * (keep.length + 1));
  const v = view(array);
  keep.forEach((s, i) => v.setBigUint64(8 * i, addressOf(s), true));
  return { array, keep };
}

export function envStrings(env: SpawnOptions["env"]): readonly string[] {
  if (Array.isArray(env)) return env as readonly string[];
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

/**
 * posix_spawn with exactly `fds` open in the child and nothing else:
 * 1. in the child, each target gets its source by dup2, in an order that never
 *    overwrites a source still needed (sources may sit at target numbers: the
 *    staged files live wherever they were opened, so a table needs about as
 *    many fds as it has, not twice as many); a cycle goes through one spare
 *    number of the child, and a source already at its target only loses
 *    close-on-exec (adddup2 onto itself);
 * 2. close each gap, close everything above the highest target
 *    (addclosefrom_np; where glibc lacks it, every fd above is marked
 *    close-on-exec here in the parent);
 * 3. signal mask emptied, dispositions reset, optional setsid / setpgroup, cwd.
 *
 * A target cannot be both placed and close-on-exec: exec would drop it. Callers
 * that honour FD_CLOEXEC (`--cloexec=honor`) leave such targets out of `fds`.
 * Returns the child's pid; reap it with `waitpid`. Throws {@link SysError}
 * (`posix_spawn(/bin/x): ENOENT ...` when exec fails).
 */
export function spawn(o: SpawnOptions): number {
  if (o.setsid && o.setpgroup !== undefined) {
    throw new TypeError("spawn: setsid and setpgroup exclude each other");
  }
  const c = libc();
  const targets = [...o.fds.keys()].sort((a, b) => a - b);
  for (const t of targets) {
    if (!Number.isInteger(t) || t < 0) throw new RangeError(`spawn: bad target fd ${t}`);
  }
  const maxTarget = targets.length > 0 ? targets[targets.length - 1] : -1;
  const fa = alloc(SIZEOF.posix_spawn_file_actions_t);
  const attr = alloc(SIZEOF.posix_spawnattr_t);
  let faReady = false;
  let attrReady = false;
  try {
    const moves = childMoves(o.fds);
    checkRc("posix_spawn_file_actions_init", () => c.posix_spawn_file_actions_init(fa));
    faReady = true;
    for (const [from, to] of moves.dup2) {
      checkRc(
        "posix_spawn_file_actions_adddup2",
        () => c.posix_spawn_file_actions_adddup2(fa, from, to),
        from,
        to,
      );
    }
    // Spares above every target: closefrom covers them, unless glibc lacks it.
    for (const fd of moves.spares) {
      if (fd < maxTarget || c.posix_spawn_file_actions_addclosefrom_np) continue;
      checkRc(
        "posix_spawn_file_actions_addclose",
        () => c.posix_spawn_file_actions_addclose(fa, fd),
        fd,
      );
    }
    // The gaps below the highest target: targets are sorted, so walk them along.
    for (let fd = 0, next = 0; fd < maxTarget; fd++) {
      if (targets[next] === fd) {
        next++;
        continue;
      }
      checkRc(
        "posix_spawn_file_actions_addclose",
        () => c.posix_spawn_file_actions_addclose(fa, fd),
        fd,
      );
    }
    const closefrom = c.posix_spawn_file_actions_addclosefrom_np;
    if (closefrom) {
      checkRc(
        "posix_spawn_file_actions_addclosefrom_np",
        () => closefrom(fa, maxTarget + 1),
        maxTarget + 1,
      );
    } else {
      cloexecFrom(maxTarget + 1); // affects this process too; only on glibc < 2.34
    }
    const keepCwd = o.cwd === undefined ? null : cstr(o.cwd);
    if (keepCwd) {
      const chdir = c.posix_spawn_file_actions_addchdir_np;
      if (!chdir) throw new SysError("posix_spawn_file_actions_addchdir_np", 38, [o.cwd!]);
      checkRc("posix_spawn_file_actions_addchdir_np", () => chdir(fa, keepCwd), o.cwd!);
    }

    checkRc("posix_spawnattr_init", () => c.posix_spawnattr_init(attr));
    attrReady = true;
    let flags = POSIX_SPAWN.SETSIGMASK;
    const empty = sigset();
    checkRc("posix_spawnattr_setsigmask", () => c.posix_spawnattr_setsigmask(attr, empty));
    if (o.sigdefault ?? true) {
      flags |= POSIX_SPAWN.SETSIGDEF;
      const all = sigsetAll();
      for (const s of o.keepIgnored ?? []) all[(s - 1) >> 3] &= ~(1 << ((s - 1) & 7));
      checkRc("posix_spawnattr_setsigdefault", () => c.posix_spawnattr_setsigdefault(attr, all));
    }
    if (o.setsid) flags |= POSIX_SPAWN.SETSID;
    if (o.setpgroup !== undefined) {
      flags |= POSIX_SPAWN.SETPGROUP;
      const pg = o.setpgroup;
      checkRc("posix_spawnattr_setpgroup", () => c.posix_spawnattr_setpgroup(attr, pg));
    }
    checkRc("posix_spawnattr_setflags", () => c.posix_spawnattr_setflags(attr, flags));

    const pid = alloc(4);
    const path = cstr(o.path);
    const argv = cArray(o.argv);
    const envp = cArray(envStrings(o.env));
    const fn = o.search ? c.posix_spawnp : c.posix_spawn;
    checkRc(
      o.search ? "posix_spawnp" : "posix_spawn",
      () => fn(pid, path, fa, attr, argv.array, envp.array),
      o.path,
    );
    void [argv.keep, envp.keep, keepCwd]; // alive until the child has exec'd
    return view(pid).getInt32(0, true);
  } finally {
    if (attrReady) c.posix_spawnattr_destroy(attr);
    if (faReady) c.posix_spawn_file_actions_destroy(fa);
  }
}

/**
 * The child's dup2s (source, target) that give every target its source, in
 * an order where no dup2 overwrites a source still needed, and the spare
 * numbers that carry a source out of a cycle (the lowest numbers that are
 * neither a target, a source nor in `avoid`; one spare serves every cycle in
 * turn). A pair of equal numbers only clears close-on-exec.
 */
export function childMoves(
  fds: ReadonlyMap<number, number>,
  avoid: Iterable<number> = [],
): { dup2: [number, number][]; spares: number[] } {
  const used = new Set<number>([...fds.keys(), ...fds.values(), ...avoid]);
  const free: number[] = []; // spares given back
  const spares: number[] = [];
  let next = 0;
  const spare = (): number => {
    const back = free.pop();
    if (back !== undefined) return back;
    while (used.has(next)) next++;
    spares.push(next);
    return next++;
  };
  const steps = planPlacement(fds);
  const uses = new Map<number, number>(); // placeholder → dup2s still reading it
  for (const s of steps) {
    if (s.op === "dup2" && s.from < 0) uses.set(s.from, (uses.get(s.from) ?? 0) + 1);
  }
  const at = new Map<number, number>(); // placeholder → its spare number
  const dup2: [number, number][] = [];
  steps.forEach((s, i) => {
    if (s.op === "flags") return void dup2.push([s.fd, s.fd]);
    if (s.op === "stage") {
      const to = spare();
      at.set(-2 - i, to);
      return void dup2.push([at.get(s.from) ?? s.from, to]);
    }
    dup2.push([at.get(s.from) ?? s.from, s.to]);
    if (s.from >= 0) return;
    const left = uses.get(s.from)! - 1;
    uses.set(s.from, left);
    if (left === 0) free.push(at.get(s.from)!);
  });
  return { dup2, spares };
}
