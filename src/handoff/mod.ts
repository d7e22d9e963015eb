/**
 * Telling a started program about its restored listening sockets: systemd
 * socket activation (`--listen-fds`), nginx-style lists (`--fds-env`), and
 * the environment a started task must not inherit from the images.
 *
 * ```ts
 * import { parseListenFds } from "./mod.ts";
 * parseListenFds("6:http,7:admin"); // [{ fd: 6, name: "http" }, { fd: 7, name: "admin" }]
 * ```
 */
export { isEnvName, isFdName, type ListenChoice, parseListenFds } from "./spec.ts";
export {
  type Handoff,
  type HandoffOptions,
  isListening,
  listeningFds,
  planHandoff,
} from "./select.ts";
export { applyHandoff, SD_LISTEN_FDS_START, STALE_VARIABLES } from "./apply.ts";
