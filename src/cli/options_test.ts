import assert from "node:assert/strict";
import { EXIT, UsageError } from "../errors.ts";
import { InheritFdError } from "../inherit/error.ts";
import { InheritFdTable } from "../inherit/table.ts";
import { close, fstat, pipe2, read } from "../sys/mod.ts";
import {
  CommandLineError,
  type DecodeOptions,
  type Options,
  parseCommandLine,
  type RestoreOptions,
  type ShowOptions,
} from "./options.ts";
import { UNSUPPORTED_OPTIONS } from "./usage.ts";

const CTX = { stageBase: 700 };

function parse(...argv: string[]): Options {
  const o = parseCommandLine(argv, CTX);
  if ("inherit" in o) o.inherit.finish();
  return o;
}

function restore(...argv: string[]): RestoreOptions {
  const o = parse("restore", ...argv);
  assert.equal(o.command, "restore");
  return o as RestoreOptions;
}

function usageError(message: string, hint = "Try 'fdrestore --help'") {
  return (e: unknown) => {
    assert.ok(e instanceof UsageError, String(e));
    assert.equal(e.message, message);
    assert.equal(e.exitCode, EXIT.USAGE);
    if (e instanceof CommandLineError) assert.equal(e.hint, hint);
    return true;
  };
}

const RESTORE_HINT = "Try 'fdrestore restore --help'";

Deno.test("restore defaults follow criu", () => {
  const o = restore();
  assert.ok(o.inherit instanceof InheritFdTable);
  const { inherit: _, ...rest } = o;
  assert.deepEqual(rest, {
    command: "restore",
    logLevel: 2,
    logFile: undefined,
    imagesDir: ".",
    workDir: ".",
    inheritFdStrict: false,
    root: undefined,
    untrusted: false,
    shellJob: false,
    fileLocks: false,
    tcp: "refuse",
    cloexec: "keep",
    pid: undefined,
    noChildren: false,
    detached: false,
    pidfile: undefined,
    pidMap: undefined,
    leaveStopped: false,
    program: undefined,
    exec: new Map(),
  });
});

Deno.test("every restore option parses", () => {
  const o = restore(
    "-D",
    "imgs",
    "-W",
    "work",
    "-o",
    "r.log",
    "-v",
    "--inherit-fd-strict",
    "-d",
    "--pidfile",
    "p.pid",
    "--pid-map=map.json",
    "--leave-stopped",
    "--root",
    "/srv",
    "--untrusted",
    "-j",
    "-l",
    "--tcp-established",
    "--cloexec=honor",
    "--pid",
    "7287",
    "--no-children",
    "--fds-env",
    "NGINX",
    "--status-fd",
    "2",
    "--exec",
    "7288=sleep 'a b'",
    "--exec=7289=true",
    "--",
    "/bin/cat",
    "-n",
    "--",
  );
  const { inherit: _, ...rest } = o;
  assert.deepEqual(rest, {
    command: "restore",
    logLevel: 3,
    logFile: "r.log",
    imagesDir: "imgs",
    workDir: "work",
    inheritFdStrict: true,
    root: "/srv",
    untrusted: true,
    shellJob: true,
    fileLocks: true,
    tcp: "established",
    cloexec: "honor",
    pid: 7287,
    noChildren: true,
    fdsEnv: "NGINX",
    statusFd: 2,
    detached: true,
    pidfile: "p.pid",
    pidMap: "map.json",
    leaveStopped: true,
    program: ["/bin/cat", "-n", "--"],
    exec: new Map([[7288, ["sleep", "a b"]], [7289, ["true"]]]),
  });
});

Deno.test("--exec is refused when malformed, repeated for a task, or outside restore", () => {
  assert.throws(
    () => restore("--exec", "12=a", "--exec", "12=b"),
    usageError("--exec given twice for task 12", RESTORE_HINT),
  );
  assert.throws(
    () => restore("--exec", "nginx -c x"),
    usageError("invalid --exec 'nginx -c x' (expected PID=PROGRAM ARGS...)", RESTORE_HINT),
  );
  assert.throws(
    () => parseCommandLine(["check", "--exec", "12=a"]),
    usageError("option --exec does not apply to check", "Try 'fdrestore check --help'"),
  );
});

Deno.test("long forms and glued short values parse too", () => {
  const o = restore("--images-dir=a", "--work-dir", "b", "--log-file", "c", "--shell-job");
  assert.equal(o.imagesDir, "a");
  assert.equal(o.workDir, "b");
  assert.equal(o.logFile, "c");
  assert.equal(o.shellJob, true);
  assert.throws(
    () => restore("--images-dir=a", "-Dd"),
    usageError(
      "conflicting values for --images-dir: 'a' and 'd'",
      RESTORE_HINT,
    ),
  );
  assert.equal(restore("-Dx", "-D", "x").imagesDir, "x");
  assert.equal(restore("--restore-detached", "-s").leaveStopped, true);
});

const LEVELS: [string[], number][] = [
  [[], 2],
  [["-v"], 3],
  [["-vv"], 4],
  [["-vvv"], 4],
  [["-v", "-v"], 4],
  [["-v0"], 0],
  [["-v1"], 1],
  [["-v4"], 4],
  [["--verbosity=3"], 3],
  [["--verbosity", "0"], 0],
  [["-v4", "-v"], 4],
  [["-v0", "-v"], 1],
  [["-v", "-v1"], 1],
  [["--verbose"], 3],
];

for (const [args, level] of LEVELS) {
  Deno.test(`${args.join(" ") || "no -v"} gives log level ${level}`, () => {
    assert.equal(restore(...args).logLevel, level);
  });
}

Deno.test("a -vN out of 0..4 is a usage error", () => {
  assert.throws(
    () => restore("-v5"),
    usageError(
      "invalid verbosity level '5' (expected 0 to 4)",
      RESTORE_HINT,
    ),
  );
  assert.throws(
    () => restore("--verbosity=x"),
    usageError(
      "invalid verbosity level 'x' (expected 0 to 4)",
      RESTORE_HINT,
    ),
  );
});

Deno.test("-v4 after -- belongs to the program", () => {
  const o = restore("--", "prog", "-v4");
  assert.deepEqual(o.program, ["prog", "-v4"]);
  assert.equal(o.logLevel, 2);
});

Deno.test("show, decode and check parse their options", () => {
  assert.deepEqual(
    parse("show", "-D", "d", "--json", "--pid", "9"),
    {
      command: "show",
      logLevel: 2,
      logFile: undefined,
      imagesDir: "d",
      root: undefined,
      json: true,
      pid: 9,
      fds: undefined,
      kinds: undefined,
    } satisfies ShowOptions,
  );
  const narrowed = parse("show", "--fd", "0,2,100000", "--kind", "pipe,unix") as ShowOptions;
  assert.deepEqual([narrowed.fds, narrowed.kinds], [[0, 2, 100000], ["pipe", "unix"]]);
  assert.equal((parse("show", "--root", "/srv/rootfs") as ShowOptions).root, "/srv/rootfs");
  assert.deepEqual(
    parse("decode", "-i", "files.img", "-o", "out.json", "--pretty"),
    {
      command: "decode",
      logLevel: 2,
      logFile: undefined,
      input: "files.img",
      output: "out.json",
      imagesDir: undefined,
      pretty: true,
    } satisfies DecodeOptions,
  );
  assert.equal((parse("decode", "-D", "imgs", "-o", "out") as DecodeOptions).imagesDir, "imgs");
  assert.throws(
    () => parse("decode", "-D", "imgs", "-i", "x.img"),
    /--in and --images-dir exclude each other/,
  );
  const d = parse("decode", "--in", "x", "--out", "y", "--log-file", "l", "-v4") as DecodeOptions;
  assert.equal(d.logFile, "l");
  assert.equal(d.output, "y");
  assert.equal(d.logLevel, 4);
  const c = parse("check", "-D", "d", "-j", "--cloexec", "honor");
  assert.equal(c.command, "check");
  assert.ok(c.command === "check" && c.shellJob && c.cloexec === "honor" && c.workDir === "d");
});

Deno.test("help and version need no command and have no side effects", () => {
  assert.deepEqual(parse("--help"), { command: "help" });
  assert.deepEqual(parse("-h"), { command: "help" });
  assert.deepEqual(parse("help"), { command: "help", topic: undefined });
  assert.deepEqual(parse("help", "decode"), { command: "help", topic: "decode" });
  assert.deepEqual(parse("-V"), { command: "version" });
  assert.deepEqual(parse("--version"), { command: "version" });
  assert.deepEqual(parse("restore", "-h"), { command: "help", topic: "restore" });
  assert.deepEqual(parse("show", "--bogus", "--help"), { command: "help", topic: "show" });
  const [r, w] = pipe2(0);
  assert.deepEqual(parse("restore", `--inherit-fd=debug[${w}]:x`, "--help"), {
    command: "help",
    topic: "restore",
  });
  assert.deepEqual(fstat(w).ino, fstat(r).ino, "nothing was staged or closed");
  [r, w].forEach(close);
  assert.deepEqual(parse("restore", "--", "prog", "--help").command, "restore");
});

const ERRORS: [string[], string, string?][] = [
  [[], "missing command (restore, show, decode or check)"],
  [["-D", "x"], "missing command before -D (restore, show, decode or check)"],
  [["resotre"], "unknown command 'resotre'"],
  [["help", "x"], "unknown command 'x'"],
  [["restore", "--bogus"], "unknown option --bogus", RESTORE_HINT],
  [["restore", "-q"], "unknown option -q", RESTORE_HINT],
  [["restore", "-D"], "option -D needs a value", RESTORE_HINT],
  [["restore", "--images-dir"], "option --images-dir needs a value", RESTORE_HINT],
  [["restore", "-D", "--json"], "option -D needs a value", RESTORE_HINT],
  [["restore", "--pidfile"], "option --pidfile needs a value", RESTORE_HINT],
  [["restore", "--inherit-fd"], "option --inherit-fd needs a value", RESTORE_HINT],
  [["restore", "--json"], "option --json does not apply to restore", RESTORE_HINT],
  [["show", "--pretty"], "option --pretty does not apply to show", "Try 'fdrestore show --help'"],
  [["restore", "--shell-job=yes"], "option --shell-job takes no value", RESTORE_HINT],
  [["restore", "stray"], "unexpected argument 'stray'", RESTORE_HINT],
  [["restore", "--"], "missing program after --", RESTORE_HINT],
  [["show", "--", "x"], "a program after -- is only for restore", "Try 'fdrestore show --help'"],
  [
    ["restore", "--cloexec=maybe"],
    "invalid --cloexec 'maybe' (expected keep or honor)",
    RESTORE_HINT,
  ],
  [
    ["restore", "--pid", "x1"],
    "invalid --pid 'x1' (expected a process id of the dump)",
    RESTORE_HINT,
  ],
  [
    ["restore", "--pid", "0"],
    "invalid --pid '0' (expected a process id of the dump)",
    RESTORE_HINT,
  ],
  [
    ["restore", "-D", "a", "-D", "b"],
    "conflicting values for --images-dir: 'a' and 'b'",
    RESTORE_HINT,
  ],
  [
    ["restore", "--pidfile", "f", "--pid-map", "f"],
    "--pidfile and --pid-map name the same file 'f'",
    RESTORE_HINT,
  ],
  [
    ["decode", "-i", "f", "-o", "f"],
    "--in and --out name the same file 'f'",
    "Try 'fdrestore decode --help'",
  ],
  [
    ["restore", "--untrusted"],
    "--untrusted needs -- PROGRAM or --exec PID=COMMAND: the recorded program, argv and " +
    "environment come from the images",
    RESTORE_HINT,
  ],
  [["restore", "-x"], "option --ext-unix-sk is not supported yet", RESTORE_HINT],
  [["restore", "--external", "unix[1]"], "option --external is not supported yet", RESTORE_HINT],
];

for (const [argv, message, hint] of ERRORS) {
  Deno.test(`${JSON.stringify(argv.join(" "))} fails with "${message}"`, () => {
    assert.throws(() => parse(...argv), usageError(message, hint));
  });
}

Deno.test("--tcp-close wins over --tcp-established, as criu restores every connection closed", () => {
  const mode = (...args: string[]) => {
    const o = parse("check", ...args);
    return o.command === "check" ? o.tcp : undefined;
  };
  assert.deepEqual(
    [
      mode(),
      mode("--tcp-established"),
      mode("--tcp-close"),
      mode("--tcp-close", "--tcp-established"),
    ],
    ["refuse", "established", "close", "close"],
  );
});

for (const name of Object.keys(UNSUPPORTED_OPTIONS)) {
  Deno.test(`criu's --${name} is refused by name`, () => {
    assert.throws(
      () => parse("restore", `--${name}`),
      usageError(`option --${name} is not supported yet`, RESTORE_HINT),
    );
  });
}

Deno.test("--inherit-fd arguments are staged in order into the table", () => {
  const [r, w] = pipe2(0);
  const [r2, w2] = pipe2(0);
  const o = parseCommandLine(
    ["restore", "--inherit-fd", `fd[${w}]:pipe:[1]`, `--inherit-fd=fd[${w2}]:tmp/x:y`],
    CTX,
  ) as RestoreOptions;
  assert.deepEqual(o.inherit.entries.map((e) => [e.fd, e.key]), [[w, "pipe:[1]"], [w2, "tmp/x:y"]]);
  assert.ok(o.inherit.entries.every((e) => e.staged >= 700));
  o.inherit.finish();
  [r, r2].forEach(close);
});

Deno.test("a debug text is written before a later invalid argument fails", () => {
  const [r, w] = pipe2(0);
  assert.throws(
    () => parse("restore", "--inherit-fd", `debug[${w}]:marker`, "--inherit-fd", "fd[3]"),
    (e: unknown) => {
      assert.ok(e instanceof InheritFdError);
      assert.equal(e.message, "Invalid inherit fd argument: fd[3]");
      assert.equal(e.exitCode, EXIT.INHERIT);
      return true;
    },
  );
  const buf = new Uint8Array(new ArrayBuffer(16));
  assert.equal(new TextDecoder().decode(buf.subarray(0, read(r, buf))), "marker");
  [r, w].forEach(close);
});

Deno.test("a debug text is written before a later unknown option fails", () => {
  const [r, w] = pipe2(0);
  assert.throws(
    () => parse("restore", "--inherit-fd", `debug[${w}]:m`, "--bogus"),
    usageError("unknown option --bogus", RESTORE_HINT),
  );
  const buf = new Uint8Array(new ArrayBuffer(16));
  assert.equal(read(r, buf), 1);
  [r, w].forEach(close);
});

Deno.test("staged fds are closed when a later argument fails", () => {
  const [r, w] = pipe2(0);
  let staged = -1;
  const ctx = { stageBase: 700 };
  assert.throws(() => parseCommandLine(["restore", `--inherit-fd=fd[${w}]:k`, "--bogus"], ctx));
  // the staged copy went to the lowest free number >= 700; it must be free again
  const again = parseCommandLine(["restore", `--inherit-fd=fd[${r}]:k`], ctx) as RestoreOptions;
  staged = again.inherit.entries[0].staged;
  again.inherit.finish();
  assert.ok(staged >= 700);
  assert.throws(() => fstat(staged));
  assert.throws(() => fstat(w), "N was closed at staging");
});

Deno.test("--inherit-fd with show writes debug text, then is refused as in criu", () => {
  const [r, w] = pipe2(0);
  assert.throws(
    () => parse("show", `--inherit-fd=debug[${w}]:shown`, `--inherit-fd=fd[${w}]:k`),
    usageError("--inherit-fd is restore-only option", "Try 'fdrestore show --help'"),
  );
  const buf = new Uint8Array(new ArrayBuffer(16));
  assert.equal(new TextDecoder().decode(buf.subarray(0, read(r, buf))), "shown");
  assert.ok(fstat(w), "show does not stage (or close) fd N");
  [r, w].forEach(close);
});

Deno.test("--inherit-fd with check is staged like restore", () => {
  const [r, w] = pipe2(0);
  const o = parseCommandLine(["check", `--inherit-fd=fd[${w}]:k`], CTX);
  assert.ok(o.command === "check" && o.inherit.size === 1);
  if (o.command === "check") o.inherit.finish();
  close(r);
});

Deno.test("--listen-fds alone takes every listening socket; =WHICH keeps the order and names", () => {
  assert.equal(restore("--listen-fds", "-d").listenFds, "all");
  assert.deepEqual(restore("--listen-fds=7:admin,6").listenFds, [{ fd: 7, name: "admin" }, {
    fd: 6,
  }]);
  assert.equal(restore("--no-children").noChildren, true);
  assert.equal(parse("check", "--listen-fds").command, "check");
});

Deno.test("--listen-fds never takes the next argument as its value", () => {
  assert.throws(
    () => restore("--listen-fds", "6"),
    usageError("unexpected argument '6'", RESTORE_HINT),
  );
});

Deno.test("--listen-fds and --fds-env values are checked", () => {
  assert.throws(
    () => restore("--listen-fds=6:a:b"),
    usageError(
      "invalid --listen-fds '6:a:b': 'a:b' is not a socket name (1 to 255 printable characters, no colon)",
      RESTORE_HINT,
    ),
  );
  assert.throws(
    () => restore("--listen-fds", "--listen-fds=6"),
    usageError("conflicting values for --listen-fds: every listening socket and '6'", RESTORE_HINT),
  );
  assert.equal(restore("--fds-env", "NGINX").fdsEnv, "NGINX");
  assert.throws(
    () => restore("--fds-env", "NGINX=6"),
    usageError(
      "invalid --fds-env 'NGINX=6' (expected a variable name: letters, digits and _)",
      RESTORE_HINT,
    ),
  );
  assert.throws(
    () => restore("--fds-env", "NGINX", "--listen-fds"),
    usageError("--listen-fds and --fds-env exclude each other", RESTORE_HINT),
  );
  assert.throws(
    () => parse("show", "--fds-env", "X"),
    usageError("option --fds-env does not apply to show", "Try 'fdrestore show --help'"),
  );
});

Deno.test("--status-fd must name one of my open fds", () => {
  const [r, w] = pipe2();
  try {
    assert.equal(restore("--status-fd", String(w)).statusFd, w);
  } finally {
    close(r);
    close(w);
  }
  assert.throws(
    () => restore("--status-fd", String(w)),
    usageError(`--status-fd ${w}: fd ${w} is not open`, RESTORE_HINT),
  );
  assert.throws(
    () => restore("--status-fd=x"),
    usageError("invalid --status-fd 'x' (expected an fd number)", RESTORE_HINT),
  );
  assert.throws(
    () => parse("check", "--status-fd", "1"),
    usageError("option --status-fd does not apply to check", "Try 'fdrestore check --help'"),
  );
});
