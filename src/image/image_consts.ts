/**
 * Numbers images hold in plain integer fields (no proto enum names them).
 * The enums of proto/ are generated into entry_types.ts.
 */
import { FD_TYPES } from "./entry_types.ts";

/** fd_types: the type tag of fdinfo and file entries. */
export const FD_TYPE = FD_TYPES;

/** task_core_entry.task_state values. */
export const TASK_STATE = { ALIVE: 1, DEAD: 2, STOPPED: 3 } as const;

/** file_lock_entry.flag values (criu's FL_*). */
export const FILE_LOCK_FLAG = { POSIX: 1, FLOCK: 2, OFD: 4, LEASE: 8 } as const;
