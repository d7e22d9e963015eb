/**
 * The options that bring a service back: what the started program is told
 * (`--listen-fds[=WHICH]`, `--fds-env VAR`, grammar in src/handoff/spec.ts)
 * and the supervisor's readiness fd (`--status-fd N`), checked at parsing.
 *
 * @module
 */
import { isEnvName, type ListenChoice, parseListenFds } from "../handoff/spec.ts";
import { getFdFlags } from "../sys/mod.ts";

/** `--listen-fds[=WHICH]` and `--fds-env VAR`, checked. */
export function handoffOptions(
  values: ReadonlyMap<string, string>,
  flags: ReadonlySet<string>,
  fail: (message: string) => never,
): { listenFds?: "all" | ListenChoice[]; fdsEnv?: string } {
  const which = values.get("listen-fds");
  if (which !== undefined && flags.has("listen-fds")) {
    fail(`conflicting values for --listen-fds: every listening socket and '${which}'`);
  }
  let listenFds: "all" | ListenChoice[] | undefined = flags.has("listen-fds") ? "all" : undefined;
  if (which !== undefined) {
    const parsed = parseListenFds(which);
    if (typeof parsed === "string") fail(`invalid --listen-fds '${which}': ${parsed}`);
    listenFds = parsed as ListenChoice[];
  }
  const fdsEnv = values.get("fds-env");
  if (fdsEnv !== undefined && !isEnvName(fdsEnv)) {
    fail(`invalid --fds-env '${fdsEnv}' (expected a variable name: letters, digits and _)`);
  }
  if (listenFds && fdsEnv !== undefined) fail("--listen-fds and --fds-env exclude each other");
  return { ...(listenFds ? { listenFds } : {}), ...(fdsEnv !== undefined ? { fdsEnv } : {}) };
}

/** `--status-fd N`: N must be one of my open fds. */
export function statusFdOption(
  text: string | undefined,
  fail: (message: string) => never,
): { statusFd?: number } {
  if (text === undefined) return {};
  const fd = Number(text);
  if (!/^[0-9]{1,7}$/.test(text)) fail(`invalid --status-fd '${text}' (expected an fd number)`);
  try {
    getFdFlags(fd);
  } catch {
    fail(`--status-fd ${fd}: fd ${fd} is not open`);
  }
  return { statusFd: fd };
}
