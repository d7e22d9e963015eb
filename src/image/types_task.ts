/**
 * Entries of the per-task images, as the readers hand them out: proto field
 * names, present fields only, enums as numbers, 64-bit integers as bigint.
 */

export interface TaskKobjIdsEntry {
  vm_id: number;
  files_id: number;
  fs_id: number;
  sighand_id: number;
  pid_ns_id?: number;
  net_ns_id?: number;
  ipc_ns_id?: number;
  uts_ns_id?: number;
  mnt_ns_id?: number;
  user_ns_id?: number;
  cgroup_ns_id?: number;
  time_ns_id?: number;
}

export interface InventoryEntry {
  /** 1 or 2 (v1.1, head magics). */
  img_version: number;
  fdinfo_per_id?: boolean;
  root_ids?: TaskKobjIdsEntry;
  ns_per_id?: boolean;
  root_cg_set?: number;
  lsmtype?: number;
  dump_uptime?: bigint;
  pre_dump_mode?: number;
  tcp_close?: boolean;
  network_lock_method?: number;
  plugins_entry?: { plugins?: string[] };
  dump_criu_run_id?: string;
}

export interface PstreeEntry {
  pid: number;
  /** 0 for the root task. */
  ppid: number;
  pgid: number;
  sid: number;
  threads?: number[];
}

/** task_state values in images. */
export const TASK_STATE = { ALIVE: 1, DEAD: 2, STOPPED: 3 } as const;

export interface TaskCoreEntry {
  task_state: number;
  exit_code: number;
  personality: number;
  flags: number;
  blk_sigset: bigint;
  comm: string;
  cg_set?: number;
  loginuid?: number;
  oom_score_adj?: number;
  child_subreaper?: boolean;
  blk_sigset_extended?: bigint;
  stop_signo?: number;
  /** Timers, rlimits, signals and sigactions stay untyped: the restorer does not use them. */
  [more: string]: unknown;
}

/** core-<pid>.img; only the task part is typed. */
export interface CoreEntry {
  /** core_entry.march: 1 = X86_64. */
  mtype: number;
  tc?: TaskCoreEntry;
  ids?: TaskKobjIdsEntry;
  thread_info?: Record<string, unknown>;
  thread_core?: Record<string, unknown>;
}

export interface FsEntry {
  cwd_id: number;
  root_id: number;
  umask?: number;
}

export interface VmaEntry {
  start: bigint;
  end: bigint;
  pgoff: bigint;
  shmid: bigint;
  prot: number;
  flags: number;
  status: number;
  fd: bigint;
  madv?: bigint;
  fdflags?: number;
}

export interface MmEntry {
  mm_start_code: bigint;
  mm_end_code: bigint;
  mm_start_data: bigint;
  mm_end_data: bigint;
  mm_start_stack: bigint;
  mm_start_brk: bigint;
  mm_brk: bigint;
  mm_arg_start: bigint;
  mm_arg_end: bigint;
  mm_env_start: bigint;
  mm_env_end: bigint;
  /** Id of the REG file entry of the executable. */
  exe_file_id: number;
  mm_saved_auxv?: bigint[];
  vmas?: VmaEntry[];
  dumpable?: number;
  aios?: { id: bigint; nr_req: number; ring_len: number }[];
  thp_disabled?: boolean;
}

export interface PagemapHead {
  pages_id: number;
}

export interface PagemapEntry {
  vaddr: bigint;
  nr_pages: number;
  in_parent?: boolean;
  /** PE_PARENT 1, PE_LAZY 2, PE_PRESENT 4. */
  flags?: number;
}
