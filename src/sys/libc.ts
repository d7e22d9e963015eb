/**
 * The libc symbol table: every foreign function fdrestore calls, in one place.
 *
 * Each parameter carries its C type in a comment. Variadic functions (`open`,
 * `openat`, `fcntl`, `prctl`, `ioctl`) are declared with fixed trailing
 * parameters, which is sound on the x86_64 SysV ABI. Package-private: only the
 * wrappers in `src/sys/` may use {@link libc}.
 *
 * @module
 */

const I32 = "i32" as const;
const U32 = "u32" as const;
const I64 = "i64" as const;
const U64 = "u64" as const;
const ISIZE = "isize" as const;
const USIZE = "usize" as const;
const BUF = "buffer" as const;
const PTR = "pointer" as const;

export const SYMBOLS = {
  __errno_location: { parameters: [], result: PTR }, // int *(void)
  strerror: { parameters: [I32], result: PTR }, // char *(int errnum)
  // glibc >= 2.32: locale-independent name and text.
  strerrorname_np: { parameters: [I32], result: PTR, optional: true }, // const char *(int)
  strerrordesc_np: { parameters: [I32], result: PTR, optional: true }, // const char *(int)

  // int open(const char *path, int flags, mode_t mode)
  open: { parameters: [BUF, I32, U32], result: I32 },
  // int openat(int dirfd, const char *path, int flags, mode_t mode)
  openat: { parameters: [I32, BUF, I32, U32], result: I32 },
  close: { parameters: [I32], result: I32 }, // int close(int fd)
  dup: { parameters: [I32], result: I32 }, // int dup(int fd)
  dup2: { parameters: [I32, I32], result: I32 }, // int dup2(int old, int new)
  dup3: { parameters: [I32, I32, I32], result: I32 }, // int dup3(int old, int new, int flags)
  // int fcntl(int fd, int cmd, long arg): F_DUPFD*, F_[GS]ETFD, F_[GS]ETFL, F_[GS]ETSIG, PIPE_SZ
  fcntl_int: { name: "fcntl", parameters: [I32, I32, I64], result: I32 },
  // The same on a worker thread (errno unreadable): growing the fd table in the background.
  fcntl_int_nb: { name: "fcntl", parameters: [I32, I32, I64], result: I32, nonblocking: true },
  // int fcntl(int fd, int cmd, struct f_owner_ex *arg): F_SETOWN_EX, F_GETOWN_EX
  fcntl_ptr: { name: "fcntl", parameters: [I32, I32, BUF], result: I32 },
  flock: { parameters: [I32, I32], result: I32 }, // int flock(int fd, int operation)
  lseek: { parameters: [I32, I64, I32], result: I64 }, // off_t lseek(int fd, off_t off, int whence)
  read: { parameters: [I32, BUF, USIZE], result: ISIZE }, // ssize_t read(int fd, void *buf, size_t n)
  write: { parameters: [I32, BUF, USIZE], result: ISIZE }, // ssize_t write(int, const void *, size_t)
  pipe2: { parameters: [BUF, I32], result: I32 }, // int pipe2(int fds[2], int flags)
  mkfifo: { parameters: [BUF, U32], result: I32 }, // int mkfifo(const char *path, mode_t mode)
  fstat: { parameters: [I32, BUF], result: I32 }, // int fstat(int fd, struct stat *st)
  // ssize_t readlink(const char *path, char *buf, size_t size)
  readlink: { parameters: [BUF, BUF, USIZE], result: ISIZE },
  unlink: { parameters: [BUF], result: I32 }, // int unlink(const char *path)
  // int renameat2(int olddirfd, const char *old, int newdirfd, const char *new, unsigned flags)
  // -- glibc >= 2.28; tests race with RENAME_EXCHANGE
  renameat2: { parameters: [I32, BUF, I32, BUF, U32], result: I32, optional: true },
  // int fchownat(int dirfd, const char *path, uid_t uid, gid_t gid, int flags): AT_EMPTY_PATH on O_PATH
  fchownat: { parameters: [I32, BUF, U32, U32, I32], result: I32 },
  // int fchmodat(int dirfd, const char *path, mode_t mode, int flags)
  fchmodat: { parameters: [I32, BUF, U32, I32], result: I32 },
  // int mkdirat(int dirfd, const char *path, mode_t mode)
  mkdirat: { parameters: [I32, BUF, U32], result: I32 },
  // int mknodat(int dirfd, const char *path, mode_t mode, dev_t dev)
  mknodat: { parameters: [I32, BUF, U32, U64], result: I32 },
  // int symlinkat(const char *target, int newdirfd, const char *linkpath)
  symlinkat: { parameters: [BUF, I32, BUF], result: I32 },
  // int unlinkat(int dirfd, const char *path, int flags)
  unlinkat: { parameters: [I32, BUF, I32], result: I32 },
  // int linkat(int olddirfd, const char *old, int newdirfd, const char *new, int flags)
  linkat: { parameters: [I32, BUF, I32, BUF, I32], result: I32 },
  // int renameat(int olddirfd, const char *old, int newdirfd, const char *new)
  renameat: { parameters: [I32, BUF, I32, BUF], result: I32 },
  // long syscall(SYS_openat2, int dirfd, const char *path, struct open_how *how, size_t size):
  // glibc 2.36 has no openat2 wrapper
  openat2: { name: "syscall", parameters: [I64, I64, BUF, BUF, U64], result: I64 },
  // long syscall(SYS_pidfd_open, pid_t pid, unsigned flags): glibc 2.36 has no pidfd_open wrapper
  pidfd_open: { name: "syscall", parameters: [I64, I64, I64], result: I64 },
  // int close_range(unsigned first, unsigned last, int flags) -- glibc >= 2.34
  close_range: { parameters: [U32, U32, I32], result: I32, optional: true },

  socket: { parameters: [I32, I32, I32], result: I32 }, // int socket(int domain, int type, int proto)
  // int socketpair(int domain, int type, int proto, int sv[2])
  socketpair: { parameters: [I32, I32, I32, BUF], result: I32 },
  // int bind(int fd, const struct sockaddr *addr, socklen_t len)
  bind: { parameters: [I32, BUF, U32], result: I32 },
  listen: { parameters: [I32, I32], result: I32 }, // int listen(int fd, int backlog)
  // int connect(int fd, const struct sockaddr *addr, socklen_t len)
  connect: { parameters: [I32, BUF, U32], result: I32 },
  shutdown: { parameters: [I32, I32], result: I32 }, // int shutdown(int fd, int how)
  // int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
  setsockopt: { parameters: [I32, I32, I32, BUF, U32], result: I32 },
  // int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
  getsockopt: { parameters: [I32, I32, I32, BUF, BUF], result: I32 },
  // int getsockname(int fd, struct sockaddr *addr, socklen_t *len)
  getsockname: { parameters: [I32, BUF, BUF], result: I32 },
  // int getpeername(int fd, struct sockaddr *addr, socklen_t *len)
  getpeername: { parameters: [I32, BUF, BUF], result: I32 },
  // ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
  sendmsg: { parameters: [I32, BUF, I32], result: ISIZE },
  // ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
  recvmsg: { parameters: [I32, BUF, I32], result: ISIZE },

  eventfd: { parameters: [U32, I32], result: I32 }, // int eventfd(unsigned initval, int flags)
  // int signalfd(int fd, const sigset_t *mask, int flags)
  signalfd: { parameters: [I32, BUF, I32], result: I32 },
  timerfd_create: { parameters: [I32, I32], result: I32 }, // int timerfd_create(int clock, int flags)
  // int timerfd_settime(int fd, int flags, const struct itimerspec *new, struct itimerspec *old)
  timerfd_settime: { parameters: [I32, I32, BUF, BUF], result: I32 },
  // int timerfd_gettime(int fd, struct itimerspec *cur)
  timerfd_gettime: { parameters: [I32, BUF], result: I32 },
  epoll_create1: { parameters: [I32], result: I32 }, // int epoll_create1(int flags)
  // int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
  epoll_ctl: { parameters: [I32, I32, I32, BUF], result: I32 },
  inotify_init1: { parameters: [I32], result: I32 }, // int inotify_init1(int flags)
  // int inotify_add_watch(int fd, const char *path, uint32_t mask)
  inotify_add_watch: { parameters: [I32, BUF, U32], result: I32 },
  // int memfd_create(const char *name, unsigned flags)
  memfd_create: { parameters: [BUF, U32], result: I32 },
  ioctl: { parameters: [I32, USIZE, BUF], result: I32 }, // int ioctl(int fd, unsigned long req, void *arg)
  // int ioctl(int fd, unsigned long req, long arg): requests taking a plain integer
  ioctl_int: { name: "ioctl", parameters: [I32, USIZE, I64], result: I32 },
  inotify_rm_watch: { parameters: [I32, I32], result: I32 }, // int inotify_rm_watch(int fd, int wd)
  // int clock_gettime(clockid_t clock, struct timespec *ts)
  clock_gettime: { parameters: [I32, BUF], result: I32 },
  fchmod: { parameters: [I32, U32], result: I32 }, // int fchmod(int fd, mode_t mode)
  fchown: { parameters: [I32, U32, U32], result: I32 }, // int fchown(int fd, uid_t uid, gid_t gid)
  ftruncate: { parameters: [I32, I64], result: I32 }, // int ftruncate(int fd, off_t length)

  // int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
  //                 const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
  posix_spawn: { parameters: [BUF, BUF, BUF, BUF, BUF, BUF], result: I32 },
  posix_spawnp: { parameters: [BUF, BUF, BUF, BUF, BUF, BUF], result: I32 }, // same, PATH search
  // int posix_spawn_file_actions_init(posix_spawn_file_actions_t *fa), and _destroy
  posix_spawn_file_actions_init: { parameters: [BUF], result: I32 },
  posix_spawn_file_actions_destroy: { parameters: [BUF], result: I32 },
  // int posix_spawn_file_actions_adddup2(posix_spawn_file_actions_t *fa, int fd, int newfd)
  posix_spawn_file_actions_adddup2: { parameters: [BUF, I32, I32], result: I32 },
  // int posix_spawn_file_actions_addclose(posix_spawn_file_actions_t *fa, int fd)
  posix_spawn_file_actions_addclose: { parameters: [BUF, I32], result: I32 },
  // int ..._addopen(posix_spawn_file_actions_t *fa, int fd, const char *path, int flags, mode_t)
  posix_spawn_file_actions_addopen: { parameters: [BUF, I32, BUF, I32, U32], result: I32 },
  // int ..._addchdir_np(posix_spawn_file_actions_t *fa, const char *path) -- glibc >= 2.29
  posix_spawn_file_actions_addchdir_np: { parameters: [BUF, BUF], result: I32, optional: true },
  // int ..._addclosefrom_np(posix_spawn_file_actions_t *fa, int from) -- glibc >= 2.34
  posix_spawn_file_actions_addclosefrom_np: { parameters: [BUF, I32], result: I32, optional: true },
  // int posix_spawnattr_init(posix_spawnattr_t *attr), and _destroy
  posix_spawnattr_init: { parameters: [BUF], result: I32 },
  posix_spawnattr_destroy: { parameters: [BUF], result: I32 },
  // int posix_spawnattr_setflags(posix_spawnattr_t *attr, short flags)
  posix_spawnattr_setflags: { parameters: [BUF, "i16"], result: I32 },
  // int posix_spawnattr_setsigdefault(posix_spawnattr_t *attr, const sigset_t *set)
  posix_spawnattr_setsigdefault: { parameters: [BUF, BUF], result: I32 },
  // int posix_spawnattr_setsigmask(posix_spawnattr_t *attr, const sigset_t *set)
  posix_spawnattr_setsigmask: { parameters: [BUF, BUF], result: I32 },
  // int posix_spawnattr_setpgroup(posix_spawnattr_t *attr, pid_t pgroup)
  posix_spawnattr_setpgroup: { parameters: [BUF, I32], result: I32 },

  waitpid: { parameters: [I32, BUF, I32], result: I32 }, // pid_t waitpid(pid_t, int *status, int opts)
  kill: { parameters: [I32, I32], result: I32 }, // int kill(pid_t pid, int sig)
  // int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)
  prctl: { parameters: [I32, U64, U64, U64, U64], result: I32 },
  umask: { parameters: [U32], result: U32 }, // mode_t umask(mode_t mask)
  chdir: { parameters: [BUF], result: I32 }, // int chdir(const char *path)
  fchdir: { parameters: [I32], result: I32 }, // int fchdir(int fd)
  chroot: { parameters: [BUF], result: I32 }, // int chroot(const char *path)
  // int prlimit(pid_t pid, int resource, const struct rlimit *new, struct rlimit *old)
  prlimit: { parameters: [I32, I32, BUF, BUF], result: I32 },
  getpid: { parameters: [], result: I32 }, // pid_t getpid(void)
  geteuid: { parameters: [], result: U32 }, // uid_t geteuid(void)
  // int execve(const char *path, char *const argv[], char *const envp[])
  execve: { parameters: [BUF, BUF, BUF], result: I32 },
  setsid: { parameters: [], result: I32 }, // pid_t setsid(void)
  setpgid: { parameters: [I32, I32], result: I32 }, // int setpgid(pid_t pid, pid_t pgid)
  getpgid: { parameters: [I32], result: I32 }, // pid_t getpgid(pid_t pid)
  // sighandler_t signal(int signum, sighandler_t handler): SIG_DFL is 0
  signal: { parameters: [I32, USIZE], result: USIZE },
  // int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
  sigaction: { parameters: [I32, BUF, BUF], result: I32 },
  // int sigprocmask(int how, const sigset_t *set, sigset_t *old)
  sigprocmask: { parameters: [I32, BUF, BUF], result: I32 },
  _exit: { parameters: [I32], result: "void" }, // void _exit(int status)
} as const satisfies Deno.ForeignLibraryInterface;

/** The bound libc symbols. */
export type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/**
 * Symbols every restore calls, bound together on the first use of any of
 * them: binding costs ~0.1 ms per symbol in one dlopen, ~0.3 ms alone.
 */
const RESTORE_CORE: readonly (keyof typeof SYMBOLS)[] = [
  "__errno_location",
  "open",
  "openat",
  "close",
  "dup",
  "fcntl_int",
  "fcntl_int_nb",
  "lseek",
  "read",
  "write",
  "fstat",
  "pipe2",
  "prlimit",
  "prctl",
  "umask",
  "waitpid",
  "posix_spawn",
  "posix_spawn_file_actions_init",
  "posix_spawn_file_actions_destroy",
  "posix_spawn_file_actions_adddup2",
  "posix_spawn_file_actions_addclose",
  "posix_spawn_file_actions_addchdir_np",
  "posix_spawn_file_actions_addclosefrom_np",
  "posix_spawnattr_init",
  "posix_spawnattr_destroy",
  "posix_spawnattr_setflags",
  "posix_spawnattr_setsigdefault",
  "posix_spawnattr_setsigmask",
  "posix_spawnattr_setpgroup",
  "close_range",
  // Every restore also reads its signal dispositions, its euid, a link or two
  // and renames its --pidfile into place: one dlopen instead of six.
  "sigaction",
  "signal",
  "geteuid",
  "readlink",
  "renameat",
];

/**
 * What reading an image calls (decode and show call nothing else): bound on
 * its own, ~5 ms, not the ~40 ms of the whole restore group. Each group binds
 * `__errno_location` before its first call can fail: binding it afterwards
 * (a dlopen) would overwrite the errno it is asked for.
 */
const IMAGE_READ: readonly (keyof typeof SYMBOLS)[] = [
  "__errno_location",
  "open",
  "fstat",
  "read",
  "lseek",
  "close",
];

let table: Libc | undefined;
// The libraries bound so far, kept open for the life of the process.
const handles: Deno.DynamicLibrary<Deno.ForeignLibraryInterface>[] = [];

/**
 * The libc symbols (needs `--allow-ffi`), bound on first use: binding all of
 * them at once took 8 ms, and a command calls a few dozen at most. A symbol
 * of {@link IMAGE_READ} or else of {@link RESTORE_CORE} binds what is not yet
 * bound of that group; any other binds alone.
 */
export function libc(): Libc {
  if (table) return table;
  const t = {} as Record<string, unknown>;
  const bind = (group: readonly (keyof typeof SYMBOLS)[]) => {
    const names = group.filter((n) => Object.getOwnPropertyDescriptor(t, n)?.get !== undefined);
    const lib = Deno.dlopen(
      "libc.so.6",
      Object.fromEntries(names.map((n) => [n, SYMBOLS[n]])) as Deno.ForeignLibraryInterface,
    );
    handles.push(lib);
    for (const n of names) Object.defineProperty(t, n, { value: lib.symbols[n], enumerable: true });
  };
  for (const name of Object.keys(SYMBOLS) as (keyof typeof SYMBOLS)[]) {
    Object.defineProperty(t, name, {
      configurable: true,
      enumerable: true,
      get() {
        const group = [IMAGE_READ, RESTORE_CORE].find((g) => g.includes(name));
        bind(group ?? [name]);
        return t[name];
      },
    });
  }
  return table = t as Libc;
}
