/**
 * FIFOs (CRIU's fifo.c): the path and flags are those of a REG entry
 * (`regf_id`, or the FIFO's own id). A helper O_RDWR description is opened
 * first so that the real open does not wait for the other side; the first
 * FIFO file of a pipe_id refills the FIFO through it. An inherited path is
 * used as it is; an external one (`file[MNT:INO]`) is reopened from the
 * caller's descriptor. A FIFO deleted before the dump is made again (a ghost,
 * see ghost_node.ts) and opened through its descriptor.
 */
import { externalMissing, inherited as inheritedFd } from "./inherited.ts";
import type { RegFileEntry } from "../image/mod.ts";
import { type Checkpoint, FD_TYPE, type FileOf, fileOf, type RegFile } from "../model/mod.ts";
import { close, fstat, O, open, openInRoot, pipe2, S_IF } from "../sys/mod.ts";
import { type FileOpener, type OpenContext, type OpenResult, stateSlot } from "./opener.ts";
import { restoreOwner } from "./params.ts";
import { restorePipeData } from "./pipe.ts";
import { hex, RestoreError } from "../restore_error.ts";
import { imageOpenFlags } from "./open_flags.ts";
import { openGhostFifo } from "./ghost_file.ts";

type FifoFile = FileOf<typeof FD_TYPE.FIFO>;

/** pipe_id → the FIFO file that writes that FIFO's saved bytes: the first in files.img order. */
export function fifoDataOwners(cp: Checkpoint): Map<number, FifoFile> {
  const owners = new Map<number, FifoFile>();
  for (const file of cp.files.values()) {
    if (file.type !== FD_TYPE.FIFO) continue;
    const pipeId = file.payload.pipe_id;
    if (!owners.has(pipeId)) owners.set(pipeId, file);
  }
  return owners;
}

/** Each restore computes the owners once. */
const DATA_OWNERS = stateSlot(fifoDataOwners);

/** The REG file holding a FIFO's path and flags. */
export function fifoRegFile(cp: Checkpoint, file: FifoFile): RegFile {
  const regId = file.payload.regf_id ?? file.id;
  const reg = fileOf(cp, FD_TYPE.REG, regId);
  if (!reg) {
    throw new RestoreError(`No file for FIFO id ${hex(file.id)}: REG id ${hex(regId)} is missing`, {
      fileId: file.id,
    });
  }
  return reg;
}

function openFifo(ctx: OpenContext, file: FifoFile): number {
  const regFile = fifoRegFile(ctx.cp, file);
  const reg = regFile.payload;
  const inherited = inheritedFd(ctx, file);
  // The caller's description as it is, without the FIFO's data.
  if (inherited && !reg.ext) return inherited.fd;
  let held: number;
  if (ctx.cp.remaps.has(regFile.id) && !reg.ext) {
    const ghost = openGhostFifo(ctx, regFile, reg);
    if (ghost === undefined) return dryRunStandIn(); // a dry run made no FIFO
    held = ghost;
  } else if (reg.ext) {
    if (!inherited) throw externalMissing(ctx, file, reg.name);
    held = inherited.fd;
  } else {
    held = probeFifo(ctx, file, reg);
  }
  try {
    return openWithHelper(ctx, file, `/proc/self/fd/${held}`, reg);
  } finally {
    close(held);
  }
}

/** An O_PATH descriptor of the path inside the root, refused unless it is a FIFO. */
function probeFifo(ctx: OpenContext, file: FifoFile, reg: RegFileEntry): number {
  let fd: number;
  try {
    fd = openInRoot(ctx.root, reg.name, O.PATH | O.CLOEXEC);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new RestoreError(`Can't open fake fifo ${hex(file.id)} [${reg.name}]: ${why}`, {}, {
      cause: e,
    });
  }
  const mode = fstat(fd).mode;
  if ((mode & S_IF.MT) !== S_IF.FIFO) {
    close(fd);
    throw new RestoreError(
      `File ${reg.name} has bad mode 0${mode.toString(8)} (expect a FIFO)`,
      { fileId: file.id },
    );
  }
  return fd;
}

/** The read end of a new pipe: a dry run's stand-in for a FIFO it did not make. */
function dryRunStandIn(): number {
  const [r, w] = pipe2(O.CLOEXEC);
  close(w);
  return r;
}

function openWithHelper(ctx: OpenContext, file: FifoFile, path: string, reg: RegFileEntry): number {
  const { name, mode } = reg;
  const helper = openOrFail(
    path,
    O.RDWR | O.NONBLOCK,
    `Can't open fake fifo ${hex(file.id)}`,
    name,
  );
  try {
    const fd = openOrFail(path, imageOpenFlags(reg.flags), `Can't open fifo ${hex(file.id)}`, name);
    try {
      const pipeId = file.payload.pipe_id;
      if (ctx.state(DATA_OWNERS).get(pipeId) === file) {
        restorePipeData(ctx, helper, ctx.cp.fifoData.get(pipeId), pipeId);
      }
      const st = fstat(fd);
      if (mode !== undefined && st.mode !== mode) {
        throw new RestoreError(
          `File ${name} has bad mode 0${st.mode.toString(8)} (expect 0${mode.toString(8)})`,
          { fileId: file.id },
        );
      }
      // No seek: a FIFO has no position.
      restoreOwner(ctx, fd, reg.fown);
      return fd;
    } catch (e) {
      close(fd);
      throw e;
    }
  } finally {
    close(helper);
  }
}

function openOrFail(path: string, flags: number, what: string, name: string): number {
  try {
    return open(path, flags | O.CLOEXEC);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new RestoreError(`${what} [${name}]: ${why}`, {}, { cause: e });
  }
}

export const fifoOpener: FileOpener<typeof FD_TYPE.FIFO> = {
  type: FD_TYPE.FIFO,
  open(ctx: OpenContext, file: FifoFile): OpenResult {
    return openFifo(ctx, file);
  },
};
