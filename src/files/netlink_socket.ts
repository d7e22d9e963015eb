/**
 * Netlink sockets (CRIU's sk-netlink.c): a new socket of the dumped protocol,
 * bound again to its port id and multicast groups when it had a port id, and
 * connected again to its destination port and group when it was connected.
 * Queued messages are not restored (criu refuses to dump a socket with data
 * to read, so the images never hold any).
 */
import { FD_TYPE, type FileDesc, type FileOf } from "../model/mod.ts";
import { AF, bind, connect, encodeSockaddrNl, ERRNO, SOCK, socket, SysError } from "../sys/mod.ts";
import type { NetlinkSkEntry } from "../image/mod.ts";
import type { FileOpener, OpenContext, OpenResult } from "./opener.ts";
import { RestoreError, why } from "../restore_error.ts";
import { buildSocket, socketParams } from "./socket_opts.ts";

/** sk_state of a connected netlink socket; unconnected ones read 0 or TCP_CLOSE (7). */
const NETLINK_CONNECTED = 1;

/** netlink_sk_entry as the opener uses it. */
export interface NetlinkSk extends Omit<NetlinkSkEntry, "groups"> {
  groups: number[];
}

export function netlinkSk(file: FileOf<typeof FD_TYPE.NETLINKSK>): NetlinkSk {
  const p = file.payload;
  return { ...p, groups: p.groups ?? [] };
}

/** The nl_groups bitmask that makes the kernel record `group` as the destination group. */
export function dstGroupMask(group: number): number {
  return group > 0 && group <= 32 ? (1 << (group - 1)) >>> 0 : 0;
}

function where(file: FileDesc): string {
  const m = file.fds[0];
  return m ? `fd ${m.fd} of task ${m.task.pid}` : `socket id ${file.id}`;
}

/** Opens one netlink socket file (see the module doc). */
export function openNetlinkSocket(
  ctx: OpenContext,
  file: FileOf<typeof FD_TYPE.NETLINKSK>,
): OpenResult {
  const sk = netlinkSk(file);
  const m = file.fds[0];
  const info = { pid: m?.task.pid, fd: m?.fd, fileId: file.id };
  const label = `${where(file)}: netlink socket (protocol ${sk.protocol})`;
  // The bind address carries 32 groups; groups above 32 need NETLINK_ADD_MEMBERSHIP
  // per group, which criu does not do either.
  if (sk.groups.slice(1).some((w) => w !== 0)) {
    throw new RestoreError(`${label}: multicast groups above 32 cannot be restored`, info);
  }
  const fd = socket(AF.NETLINK, SOCK.RAW | SOCK.CLOEXEC, sk.protocol);
  return buildSocket(fd, () => {
    if (sk.portid !== 0) {
      try {
        bind(fd, encodeSockaddrNl({ portid: sk.portid, groups: sk.groups[0] ?? 0 }));
      } catch (e) {
        const busy = e instanceof SysError && e.errno === ERRNO.EADDRINUSE;
        throw new RestoreError(
          `${label}: cannot bind port id ${sk.portid}: ` +
            `${busy ? "another netlink socket has it" : why(e)}`,
          info,
          { cause: e },
        );
      }
    }
    if (sk.state === NETLINK_CONNECTED) {
      const dst = { portid: sk.dst_portid, groups: dstGroupMask(sk.dst_group) };
      try {
        connect(fd, encodeSockaddrNl(dst));
      } catch (e) {
        throw new RestoreError(
          `${label}: cannot connect to port id ${sk.dst_portid} group ${sk.dst_group}: ${why(e)}`,
          info,
          { cause: e },
        );
      }
    }
    socketParams(ctx, fd, sk, where(file));
  });
}

export const netlinkSocketOpener: FileOpener<typeof FD_TYPE.NETLINKSK> = {
  type: FD_TYPE.NETLINKSK,
  open: openNetlinkSocket,
};
