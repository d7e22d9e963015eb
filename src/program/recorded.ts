/**
 * Can a task's recorded program start it again? The images hold the file the
 * kernel ran (`/proc/PID/exe`: symlinks already followed) and the bytes of the
 * argv area in memory, which many servers overwrite with a process title
 * (nginx, redis, postgres, sshd). Started as a command line, a title starts the
 * wrong program, or the right one with the wrong arguments.
 *
 * The rules, each a sign that the argv is a title (README "Programs with a
 * rewritten title"):
 * - **cut**: the argv area does not end with a NUL. exec always ends it with
 *   one; only a title longer than the original command line runs past it.
 * - **spaces**: argv[0] holds white space and is neither the exe's path or name
 *   nor a path or PATH name that leads to the exe. `sh -c "a b"` is not a title:
 *   its space is in argv[2].
 * - **padding**: two or more empty strings end the argv (a title pads the rest
 *   of the area with NULs). One is allowed: `prog ""` is a real command line.
 *
 * And one sign that argv[0] is not the name the program was run by:
 * - **name**: argv[0] (a login shell's leading `-` dropped) is not the exe's
 *   name and does not lead to the exe (`exec -a`, a program that set its own
 *   argv[0] without padding it). A name that does lead to the exe through a
 *   link (python3 → python3.11, sh → dash, redis-server → redis-check-rdb) is
 *   fine: starting the exe with that argv[0] gives the program the same exe and
 *   argv it had, and a multi-call binary the name it chose its role by.
 *
 * What cannot be told from the images: a title without spaces that fills the
 * argv area exactly (`myworker`), when `myworker` is also a program name.
 *
 * @module
 */

/** What the rules read from a task. */
export interface Recorded {
  readonly exe: string;
  readonly argv: readonly string[];
  /** The argv area did not end with a NUL. */
  readonly argvCut?: boolean;
}

export interface Verdict {
  /** Signs that the argv is a process title, in words ("argv[0] has spaces"); empty: none. */
  readonly title: string[];
  /** Set when argv[0] names something that does not lead to the exe (and argv is no title). */
  readonly otherName?: string;
  /**
   * The name argv[0] (or a title's first word) gives the program, when it is
   * not the exe's own name but leads to the exe: the link the kernel followed.
   */
  readonly via?: string;
}

/** Whether starting the recorded exe with the recorded argv would start the wrong thing. */
export function refused(v: Verdict): boolean {
  return v.title.length > 0 || v.otherName !== undefined;
}

/**
 * Applies the rules. `leadsToExe(name)` says whether `name` as argv[0] spells
 * it (a path from the task's cwd, or a name looked up in PATH) is the exe's
 * file; the caller decides how (the filesystem under the restore's root).
 */
export function judge(r: Recorded, leadsToExe: (name: string) => boolean): Verdict {
  const a0 = r.argv[0] ?? "";
  const exeName = baseName(r.exe);
  const title: string[] = [];
  if (r.argvCut) title.push("it runs past the end of its area");
  if (/\s/.test(a0) && a0 !== r.exe && a0 !== exeName && !leadsToExe(a0)) {
    title.push("argv[0] has spaces");
  }
  let empty = 0;
  while (empty < r.argv.length - 1 && r.argv[r.argv.length - 1 - empty] === "") empty++;
  if (empty >= 2) title.push(`${empty} empty strings end it`);

  // The name the program was run by: argv[0], or the first word of a title.
  const name = title.length > 0 ? firstWord(a0) : a0.replace(/^-/, "");
  const via = name !== "" && baseName(name) !== exeName && leadsToExe(name) ? name : undefined;
  const otherName = title.length === 0 && baseName(name) !== exeName && via === undefined
    ? a0
    : undefined;
  return { title, ...(otherName !== undefined ? { otherName } : {}), ...(via ? { via } : {}) };
}

/** What comes after the last slash ("" for a name ending in one). */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** A title's first word names its program: "nginx: master ..." → nginx. */
function firstWord(title: string): string {
  return (title.trim().split(/\s/)[0] ?? "").replace(/:$/, "");
}

/** Environment strings must be NAME=VALUE; others are what a title left in the area. */
export function usableEnv(env: readonly string[]): { env: string[]; dropped: number } {
  const ok = env.filter((s) => s.includes("="));
  return { env: ok, dropped: env.length - ok.length };
}
