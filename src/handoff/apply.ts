/**
 * Applies a {@link Handoff} to the plans of the started tasks: environment
 * and, for `--listen-fds`, the fd table of the task that gets the sockets.
 *
 * @module
 */
import type { TaskPlan } from "../restore/plan.ts";
import { RestoreError } from "../restore_error.ts";
import type { Handoff } from "./select.ts";

/** sd_listen_fds(3): the first passed socket is fd 3 (SD_LISTEN_FDS_START). */
export const SD_LISTEN_FDS_START = 3;

/**
 * Variables that described one start of the dumped process (its own socket
 * activation, its supervisor's notify socket): never passed on from the images.
 */
export const STALE_VARIABLES: readonly string[] = [
  "LISTEN_PID",
  "LISTEN_FDS",
  "LISTEN_FDNAMES",
  "NOTIFY_SOCKET",
];

/** Edits every plan of the tree; the task `h.pid` gets the sockets. */
export function applyHandoff(plan: TaskPlan, h: Handoff): void {
  const drop = new Set(STALE_VARIABLES);
  if (h.fdsEnv) drop.add(h.fdsEnv.name);
  const walk = (p: TaskPlan) => {
    p.env = p.env.filter((kv) => !drop.has(kv.slice(0, kv.indexOf("="))));
    if (p.pid === h.pid) handTo(p, h);
    p.children.forEach(walk);
  };
  walk(plan);
}

function handTo(p: TaskPlan, h: Handoff): void {
  const at = new Map<number, number>(); // target fd → batch index
  for (let k = 0; k < p.fds.length; k += 2) at.set(p.fds[k], p.fds[k + 1]);
  const missing = (fd: number, option: string) =>
    new RestoreError(
      `fd ${fd} of task ${p.pid} is close-on-exec and --cloexec=honor leaves it out: ` +
        `it cannot be passed with ${option}`,
      { pid: p.pid, fd },
    );
  if (h.notifySocket) p.env.push(`NOTIFY_SOCKET=${h.notifySocket}`);
  if (h.fdsEnv) {
    for (const fd of h.fdsEnv.fds) if (!at.has(fd)) throw missing(fd, "--fds-env");
    p.env.push(`${h.fdsEnv.name}=${h.fdsEnv.fds.map((fd) => `${fd};`).join("")}`);
  }
  if (!h.listen) return;
  // The program gets stdio and the sockets, nothing else (as from systemd).
  const fds: number[] = [];
  for (let t = 0; t < SD_LISTEN_FDS_START; t++) if (at.has(t)) fds.push(t, at.get(t)!);
  h.listen.forEach((l, i) => {
    const index = at.get(l.fd);
    if (index === undefined) throw missing(l.fd, "--listen-fds");
    fds.push(SD_LISTEN_FDS_START + i, index);
  });
  p.fds = fds;
  if (p.tty) {
    const opens = p.tty.opens
      .map(([targets, path, flags]): [number[], string, number] => [
        targets.filter((t) => t < SD_LISTEN_FDS_START),
        path,
        flags,
      ])
      .filter(([targets]) => targets.length > 0);
    p.tty = { ...p.tty, opens };
  }
  p.env.push(
    `LISTEN_FDS=${h.listen.length}`,
    `LISTEN_FDNAMES=${h.listen.map((l) => l.name).join(":")}`,
  );
  p.listenPid = true; // LISTEN_PID is set by the task itself, just before its exec
}
