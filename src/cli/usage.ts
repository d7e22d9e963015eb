/**
 * The option table (names as in criu where they mean the same) and the help
 * text built from it. `options.ts` parses with this table, so the help cannot
 * list an option the parser does not know, or miss one it does.
 *
 * @module
 */

import { EXIT } from "../errors.ts";

export const COMMANDS = ["restore", "show", "decode", "check"] as const;
export type Command = typeof COMMANDS[number];

export interface OptionDoc {
  /** Long name without dashes. */
  long: string;
  short?: string;
  /** Commands where `short` works (default: all of `commands`). */
  shortIn?: readonly Command[];
  /** Metavariable of the value; absent for flags. */
  value?: string;
  /** The value may be left out (`--opt` or `--opt=VALUE`, never `--opt VALUE`). */
  optionalValue?: boolean;
  multiple?: boolean;
  commands: readonly Command[];
  help: string;
  example: string;
}

const ALL = COMMANDS;
const RESTORE_CHECK = ["restore", "check"] as const;

/** Every option we accept, in help order. */
export const OPTIONS: readonly OptionDoc[] = [
  {
    long: "images-dir",
    short: "D",
    value: "DIR",
    commands: ["restore", "show", "check", "decode"],
    help: "the checkpoint images (default: the current directory), or a container " +
      "checkpoint archive (tar, tar.gz, tar.zst) read in place; decode: every image of DIR",
    example: "-D checkpoint.tar.gz",
  },
  {
    long: "work-dir",
    short: "W",
    value: "DIR",
    commands: RESTORE_CHECK,
    help: "where relative --log-file, --pidfile and --pid-map go " +
      "(default: the images directory)",
    example: "-W /run/app",
  },
  {
    long: "log-file",
    short: "o",
    shortIn: ["restore", "show", "check"],
    value: "FILE",
    commands: ALL,
    help: "write the log to FILE instead of stderr (decode: --log-file only, its -o is --out)",
    example: "--log-file restore.log",
  },
  {
    long: "verbose",
    short: "v",
    multiple: true,
    commands: ALL,
    help: "one more log level per v: default 2 (warnings), -v info, -vv debug",
    example: "-vv",
  },
  {
    long: "verbosity",
    value: "N",
    commands: ALL,
    help: "log level N, 0 (messages only) to 4 (debug); also written -vN",
    example: "-v4",
  },
  {
    long: "inherit-fd",
    value: "fd[N]:KEY",
    multiple: true,
    commands: RESTORE_CHECK,
    help: "use my fd N for the file whose key is KEY (see below); " +
      "debug[N]:TEXT writes TEXT to fd N at once",
    example: "--inherit-fd 'fd[3]:pipe:[153122]'",
  },
  {
    long: "inherit-fd-strict",
    commands: RESTORE_CHECK,
    help: "fail (exit 4) when an --inherit-fd key matches no file, instead of warning",
    example: "--inherit-fd-strict",
  },
  {
    long: "restore-detached",
    short: "d",
    commands: ["restore"],
    help: "return once the tasks run, do not wait for them",
    example: "-d",
  },
  {
    long: "pidfile",
    value: "FILE",
    commands: ["restore"],
    help: "write the new pid of the root task to FILE",
    example: "--pidfile app.pid",
  },
  {
    long: "pid-map",
    value: "FILE",
    commands: ["restore"],
    help: 'write {"<old pid>": <new pid>, ...} as JSON to FILE',
    example: "--pid-map pids.json",
  },
  {
    long: "leave-stopped",
    short: "s",
    commands: ["restore"],
    help: "start the tasks stopped (SIGSTOP)",
    example: "--leave-stopped",
  },
  {
    long: "root",
    value: "DIR",
    commands: ["restore", "show", "check"],
    help: "resolve the paths of the images under DIR (a container's rootfs); the recorded " +
      "program runs chrooted into it",
    example: "--root /srv/rootfs",
  },
  {
    long: "untrusted",
    commands: RESTORE_CHECK,
    help: "the images may be hostile: restore needs -- PROGRAM or --exec for every task (the " +
      "recorded program, argv and " +
      "environment are not used), nothing on disk is removed, ghosts stay unnamed, no set-id bits",
    example: "--untrusted",
  },
  {
    long: "shell-job",
    short: "j",
    commands: RESTORE_CHECK,
    help: "the task ran on a terminal outside the dump: my stdin's terminal replaces it " +
      "(with the dumped termios and window size; a job that did not lead its session joins mine)",
    example: "-j",
  },
  {
    long: "file-locks",
    short: "l",
    commands: RESTORE_CHECK,
    help: "restore the flock, POSIX and OFD locks and leases of filelocks.img (dumped " +
      "with criu --file-locks); a lock held by another process makes the restore fail",
    example: "--file-locks",
  },
  {
    long: "tcp-established",
    commands: RESTORE_CHECK,
    help: "accept established TCP connections (criu dumps them with this option); " +
      "fdrestore has no TCP repair: each comes back as a new closed socket, with a warning",
    example: "--tcp-established",
  },
  {
    long: "tcp-close",
    commands: RESTORE_CHECK,
    help: "connected TCP sockets come back as new sockets in the CLOSE state, " +
      "unbound and unconnected, as criu --tcp-close restores them",
    example: "--tcp-close",
  },
  {
    long: "cloexec",
    value: "keep|honor",
    commands: RESTORE_CHECK,
    help: "keep close-on-exec fds open in the program (keep, default) " +
      "or let exec close them (honor)",
    example: "--cloexec=honor",
  },
  {
    long: "pid",
    value: "PID",
    commands: ["restore", "show", "check"],
    help: "only the subtree of the task with this pid in the dump",
    example: "--pid 7287",
  },
  {
    long: "no-children",
    commands: RESTORE_CHECK,
    help: "start only the selected task (the root, or --pid), not its dumped children: " +
      "for a master that forks its own workers",
    example: "--no-children",
  },
  {
    long: "listen-fds",
    value: "WHICH",
    optionalValue: true,
    commands: RESTORE_CHECK,
    help: "systemd socket activation: the started task's listening sockets (or WHICH, " +
      "FD[:NAME],... of the dump, in this order) go to fds 3, 4, ... with LISTEN_FDS, " +
      "LISTEN_FDNAMES (default names fdN) and LISTEN_PID; its other fds above 2 are not passed",
    example: "--listen-fds=6:http,7:admin",
  },
  {
    long: "fds-env",
    value: "VAR",
    commands: RESTORE_CHECK,
    help: "put the numbers of the started task's listening sockets into VAR " +
      "in nginx's format (6;7;); they keep their numbers",
    example: "--fds-env NGINX",
  },
  {
    long: "status-fd",
    value: "N",
    commands: ["restore"],
    help: "once the tasks run, write one zero byte to my fd N and close it (criu's " +
      "option); if a task ends at once with a failure, N is closed with nothing written",
    example: "--status-fd 3",
  },
  {
    long: "exec",
    value: "PID=COMMAND",
    multiple: true,
    commands: ["restore"],
    help: "start COMMAND for the task PID of the dump instead of its recorded program, " +
      "split into words like a shell does, without expanding anything; repeatable. " +
      "Other tasks start -- PROGRAM if given, else their recorded program",
    example: "--exec '4151=nginx -c /etc/nginx/nginx.conf'",
  },
  {
    long: "fd",
    value: "N[,N...]",
    commands: ["show"],
    help: "only these fds (the needs of the others are counted, not listed)",
    example: "--fd 0,1,2",
  },
  {
    long: "kind",
    value: "KIND[,KIND...]",
    commands: ["show"],
    help: "only fds of these kinds, as --json names them: file, dir, chr, pipe, fifo, " +
      "unix, tcp, udp, eventfd, epoll, tty...",
    example: "--kind pipe,unix",
  },
  {
    long: "json",
    commands: ["show"],
    help: "print JSON instead of a table",
    example: "--json",
  },
  {
    long: "in",
    short: "i",
    value: "FILE",
    commands: ["decode"],
    help: "the image to decode; - or none: stdin (a file or a pipe)",
    example: "-i images/files.img",
  },
  {
    long: "out",
    short: "o",
    value: "FILE",
    commands: ["decode"],
    help: "where the JSON goes (default: stdout), as crit's -o; with -D, a " +
      "directory that gets IMAGE.json for each image",
    example: "-o files.json",
  },
  {
    long: "pretty",
    commands: ["decode"],
    help: "indent the JSON",
    example: "--pretty",
  },
  {
    long: "help",
    short: "h",
    commands: ALL,
    help: "this help; after a command, that command's help",
    example: "fdrestore restore --help",
  },
  {
    long: "version",
    short: "V",
    commands: ALL,
    help: "print the version",
    example: "fdrestore --version",
  },
];

/** criu options we refuse by name rather than ignore (short forms as in criu). */
export const UNSUPPORTED_OPTIONS: Readonly<Record<string, string | undefined>> = {
  "ext-unix-sk": "x",
  "external": "",
  "manage-cgroups": "",
  "cgroup-root": "",
  "link-remap": "",
  "ghost-limit": "",
  "evasive-devices": "",
  "lazy-pages": "",
  "page-server": "",
  "address": "",
  "port": "",
  "exec-cmd": "",
  "restore-sibling": "",
  "auto-dedup": "",
  "unprivileged": "",
  "ext-mount-map": "M",
  "veth-pair": "",
  "action-script": "",
  "skip-in-flight": "",
  "weak-sysctls": "",
  "lsm-profile": "",
  "network-lock": "",
};

const SUMMARY: Record<Command, string> = {
  restore: "rebuild the fd tables of the images and start the task's program",
  show: "list the tasks, their fds and each file's --inherit-fd key",
  decode: "print one image as JSON, like crit decode",
  check: "everything restore checks (images, --inherit-fd keys), without starting anything",
};

const EXIT_HELP: Record<keyof typeof EXIT, string> = {
  OK: "success; a restore that waits exits with its program's status (128 + signal " +
    "when killed), so its own failures are 125-127 instead of 1-6",
  FAILURE: "the check failed (a file could not be opened)",
  USAGE: "bad command line: unknown option, missing or unusable value, conflicting options",
  IMAGE: "an image is missing, truncated, corrupt or of an unsupported kind",
  INHERIT: "an --inherit-fd argument is malformed or its fd is unusable",
  SYSTEM: "a system call failed that no task, fd or file explains (limits, /proc)",
  OUTPUT: "an output cannot be made or written (log file, pid file, pid map, decode " +
    "output, stdout): its folder is missing, a link, device or file not ours is there",
  RESTORE_FAILED: "restore: fdrestore failed, for any reason 1-6 name (the message says which)",
  CANNOT_RUN: "restore: a task's program was found but cannot be run (execve failed)",
  NOT_FOUND: "restore: a task's program was not found",
  CLOSED_STDOUT: "stdout was closed by its reader (| head): output stops quietly, as " +
    "coreutils' under a shell",
};

const KEYS_SECTION = `Finding the right --inherit-fd key:
  The key names a file as it was at dump time. Before the dump, readlink the
  task's fd:  readlink /proc/PID/fd/1  ->  pipe:[153122]
  and pass:   --inherit-fd 'fd[3]:pipe:[153122]'   (quote it: [ ] are glob)
  After the dump, 'fdrestore show -D DIR' prints every fd with its key.
    pipe          pipe:[INODE]       both ends; the image's data is dropped
    unix socket   socket:[INODE]
    file, FIFO    the path WITHOUT its leading slash: tmp/app.log ('.' for /)
    external file file[MNT_HEX:INO_HEX], as given to criu dump --external
    terminal      tty[RDEV_HEX:DEV_HEX], e.g. tty[8800:1a]
    memfd         /memfd:NAME (this one keeps its slash)
  Traps: pipe[123] (no colon, as crit and old criu --help print it) and
  /tmp/app.log (with the slash) match nothing. criu ignores such keys
  silently; fdrestore warns and suggests the real key, and
  --inherit-fd-strict makes it an error.`;

const WIDTH = 80;
const COL = 28;

function wrap(text: string, indent: number, first: number): string[] {
  const lines: string[] = [];
  let line = "";
  let room = WIDTH - first;
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > room) {
      lines.push(line);
      line = word;
      room = WIDTH - indent;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  if (line !== "") lines.push(line);
  return lines;
}

function optionLines(o: OptionDoc, command?: Command, tag = ""): string[] {
  const hasShort = o.short !== undefined &&
    (command === undefined || (o.shortIn ?? o.commands).includes(command));
  let left = hasShort ? `-${o.short}, --${o.long}` : `    --${o.long}`;
  if (o.optionalValue) left += `[=${o.value}]`;
  else if (o.value) left += o.value.includes("|") ? `=${o.value}` : ` ${o.value}`;
  left = `  ${left}`;
  const pad = " ".repeat(COL);
  const example = `e.g. ${o.example}`;
  const tagged = tag !== "" && COL + example.length + 2 + tag.length <= WIDTH;
  const body = [
    ...wrap(`${o.help}.`, COL, COL),
    tagged ? `${example}  ${tag}` : example,
    ...(tag !== "" && !tagged ? [tag] : []),
  ];
  if (left.length >= COL - 1) {
    return [left, ...body.map((l) => pad + l)];
  }
  return [left.padEnd(COL) + body[0], ...body.slice(1).map((l) => pad + l)];
}

function exitLines(): string[] {
  return Object.entries(EXIT).flatMap(([name, code]) =>
    wrap(EXIT_HELP[name as keyof typeof EXIT], 6, 6).map((l, i) =>
      i === 0 ? `  ${String(code).padEnd(4)}${l}` : `      ${l}`
    )
  );
}

/** The help text: global without `command`, else that command's. */
export function usageText(command?: string): string {
  const cmd = COMMANDS.find((c) => c === command);
  const out: string[] = [];
  if (cmd === undefined) {
    out.push(
      "Usage: fdrestore COMMAND [OPTIONS] [-- PROGRAM ARGS...]",
      "",
      "Rebuilds the file descriptors of CRIU checkpoint images and starts the",
      "task's program on them (see 'fdrestore COMMAND --help').",
      "",
      "Commands:",
      ...COMMANDS.flatMap((c) =>
        wrap(SUMMARY[c], 12, 12).map((l, i) =>
          i === 0 ? `  ${c.padEnd(10)}${l}` : `${" ".repeat(12)}${l}`
        )
      ),
      "",
      "Options (after the command; criu's names where they mean the same):",
      ...OPTIONS.flatMap((o) =>
        optionLines(
          o,
          undefined,
          `[${o.commands.length === COMMANDS.length ? "all" : o.commands.join(", ")}]`,
        )
      ),
    );
  } else {
    const program = cmd === "restore" ? " [-- PROGRAM ARGS...]" : "";
    out.push(
      `Usage: fdrestore ${cmd} [OPTIONS]${program}`,
      "",
      ...wrap(`${SUMMARY[cmd][0].toUpperCase()}${SUMMARY[cmd].slice(1)}.`, 0, 0),
      "",
      "Options:",
      ...OPTIONS.filter((o) => o.commands.includes(cmd)).flatMap((o) => optionLines(o, cmd)),
    );
  }
  if (cmd === undefined || cmd === "restore") {
    out.push(
      "",
      "  -- PROGRAM ARGS...        start PROGRAM instead of the executable and argv",
      "                            recorded in the images, in every task without",
      "                            --exec (FDRESTORE_PID says which task it is).",
      "                            A recorded argv that is a process title",
      "                            ('nginx: worker process') is never started.",
      "                            e.g. -- /usr/bin/python3 app.py",
    );
  }
  out.push(
    "",
    "criu options not supported yet are refused by name, e.g. --ext-unix-sk,",
    "--external, --manage-cgroups, --link-remap.",
    "",
    "Exit codes:",
    ...exitLines(),
  );
  if (cmd === undefined || cmd === "restore" || cmd === "check") out.push("", KEYS_SECTION);
  return out.join("\n") + "\n";
}
