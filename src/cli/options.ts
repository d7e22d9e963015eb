/**
 * argv → typed {@link Options}, criu's option names and semantics.
 *
 * The command comes first (`fdrestore restore -D dir ...`); options follow in
 * any order; everything after `--` is the program. Arguments are processed in
 * command-line order like criu's getopt loop: each `--inherit-fd` takes effect
 * when reached (a `debug[N]:TEXT` is written, an `fd[N]` is staged), so a debug
 * text is written even when a later argument is wrong. Only `-h`/`--help` and
 * `-V`/`--version` are looked for first, so asking for help has no side effect.
 *
 * Where criu is lax we are stricter: a single-valued option given twice with
 * different values is a conflict (criu: the last wins), and an option value
 * that looks like an option (`-D --json`) is refused (write `--images-dir=-x`).
 *
 * @module
 */

import { type Token, tokenize } from "./argv_tokens.ts";
import { DEFAULT_LOG_LEVEL, type Logger, type LogLevel } from "../log.ts";
import { UsageError } from "../errors.ts";
import { parseInheritFdArg } from "../inherit/parse.ts";
import { InheritFdTable, writeDebugMessage } from "../inherit/table.ts";
import { type Command, COMMANDS, OPTIONS, UNSUPPORTED_OPTIONS } from "./usage.ts";
import type { ListenChoice } from "../handoff/spec.ts";
import { handoffOptions, statusFdOption } from "./service_options.ts";
import { ExecArgError, parseExecArg } from "../program/mod.ts";
import { SHOW_KINDS } from "../show/describe.ts";
import { isArchivePath } from "../archive/open.ts";
import { dirname } from "../sys/path.ts";
import type { TcpMode } from "../files/opener.ts";

export type { Command };
export type CloexecMode = "keep" | "honor";
export type { TcpMode };

/** --tcp-close wins: criu restores every connection closed with it, whatever else is given. */
function tcpMode(flags: ReadonlySet<string>): TcpMode {
  if (flags.has("tcp-close")) return "close";
  return flags.has("tcp-established") ? "established" : "refuse";
}

interface LogOptions {
  /** criu level 0..4 (default 2). */
  logLevel: LogLevel;
  logFile?: string;
}

export interface RestoreOptions extends LogOptions {
  command: "restore";
  imagesDir: string;
  /** Defaults to `imagesDir`, as in criu. */
  workDir: string;
  /** Staged `--inherit-fd` entries; the restore must call `finish()`. */
  inherit: InheritFdTable;
  inheritFdStrict: boolean;
  detached: boolean;
  pidfile?: string;
  pidMap?: string;
  leaveStopped: boolean;
  root?: string;
  /** --untrusted: see the README's Safety section. */
  untrusted: boolean;
  shellJob: boolean;
  /** --file-locks: take the locks of filelocks.img. */
  fileLocks: boolean;
  /** --tcp-established / --tcp-close: what comes of connected TCP sockets (README). */
  tcp: TcpMode;
  cloexec: CloexecMode;
  pid?: number;
  /** `--no-children`: only the selected task starts. */
  noChildren: boolean;
  /** `--listen-fds[=WHICH]`: every listening socket of the started task, or these. */
  listenFds?: "all" | ListenChoice[];
  /** `--fds-env VAR`. */
  fdsEnv?: string;
  /** `--status-fd N`: a zero byte once the tasks run. */
  statusFd?: number;
  /** `-- PROGRAM ARGS...`; undefined: the program recorded in the images. */
  program?: string[];
  /** `--exec PID=PROGRAM ARGS...`: one task's program, by pid in the dump. */
  exec: Map<number, string[]>;
}

export interface CheckOptions extends LogOptions {
  command: "check";
  imagesDir: string;
  workDir: string;
  inherit: InheritFdTable;
  inheritFdStrict: boolean;
  root?: string;
  untrusted: boolean;
  shellJob: boolean;
  /** --file-locks: take the locks of filelocks.img. */
  fileLocks: boolean;
  /** --tcp-established / --tcp-close: what comes of connected TCP sockets (README). */
  tcp: TcpMode;
  cloexec: CloexecMode;
  pid?: number;
  noChildren: boolean;
  listenFds?: "all" | ListenChoice[];
  fdsEnv?: string;
}

export interface ShowOptions extends LogOptions {
  command: "show";
  imagesDir: string;
  /** --root: where the images' paths are looked up (existence, size, mode). */
  root?: string;
  json: boolean;
  pid?: number;
  /** --fd: only these fd numbers. */
  fds?: number[];
  /** --kind: only these kinds (`show --json`'s `kind`). */
  kinds?: string[];
}

export interface DecodeOptions extends LogOptions {
  command: "decode";
  /** -D: decode every image of this directory (one JSON object, or one file each under -o DIR). */
  imagesDir?: string;
  /** undefined: stdin. */
  input?: string;
  /** undefined: stdout. */
  output?: string;
  pretty: boolean;
}

export interface HelpOptions {
  command: "help";
  /** The command whose help was asked for; undefined for the global help. */
  topic?: Command;
}

export interface VersionOptions {
  command: "version";
}

export type Options =
  | RestoreOptions
  | CheckOptions
  | ShowOptions
  | DecodeOptions
  | HelpOptions
  | VersionOptions;

/** A {@link UsageError} that also says where to read more. */
export class CommandLineError extends UsageError {
  /** `Try 'fdrestore --help'` (or the command's help); main prints it after the message. */
  readonly hint: string;

  constructor(message: string, command?: Command) {
    super(message);
    this.hint = `Try 'fdrestore ${command ? `${command} ` : ""}--help'`;
  }
}

/** For tests and embedders: where staged fds go, which logger the table uses. */
export interface ParseContext {
  stageBase?: number;
  logger?: Logger;
}

type ParseArgsOptions = Record<
  string,
  { type: "string" | "boolean"; short?: string; multiple?: boolean }
>;

function parseOptionsFor(command: Command): ParseArgsOptions {
  const out: ParseArgsOptions = {};
  // every known option is declared, so an option of another command is
  // recognised and refused with a precise message
  for (const o of OPTIONS) {
    const short = o.short && (o.shortIn ?? o.commands).includes(command) &&
        o.commands.includes(command)
      ? o.short
      : undefined;
    if (out[o.long]) continue;
    out[o.long] = {
      // an optional value is only ever inline (--opt=VALUE): the tokenizer sees a flag
      type: o.value && !o.optionalValue ? "string" : "boolean",
      ...(short ? { short } : {}),
      ...(o.multiple ? { multiple: true } : {}),
    };
  }
  return out;
}

/** `-v4` → `--verbosity=4` (the tokens cannot carry an optional value glued to a short). */
function expandVerbosity(args: string[], opts: ParseArgsOptions): string[] {
  const shortsWithValue = new Set(
    Object.values(opts).filter((o) => o.type === "string" && o.short).map((o) => o.short),
  );
  const out: string[] = [];
  let terminated = false;
  for (const [i, arg] of args.entries()) {
    const prev = args[i - 1] ?? "";
    const prevWantsValue = (prev.startsWith("--") && !prev.includes("=") &&
      opts[prev.slice(2)]?.type === "string") ||
      (/^-[^-]$/.test(prev) && shortsWithValue.has(prev[1]));
    const m = /^-v([0-9]+)$/.exec(arg);
    if (!terminated && m && !prevWantsValue) out.push(`--verbosity=${m[1]}`);
    else out.push(arg);
    if (arg === "--" && !prevWantsValue) terminated = true;
  }
  return out;
}

const DOC = new Map(OPTIONS.map((o) => [o.long, o]));
const UNSUPPORTED_SHORT = new Map(
  Object.entries(UNSUPPORTED_OPTIONS).filter(([, s]) => s).map(([l, s]) => [s as string, l]),
);

/** Parses the whole command line; see the module doc for the rules. */
export function parseCommandLine(argv: string[], context: ParseContext = {}): Options {
  const [first, ...rest] = argv;
  if (first === undefined) {
    throw new CommandLineError("missing command (restore, show, decode or check)");
  }
  if (first === "-h" || first === "--help") return { command: "help" };
  if (first === "help") {
    const topic = COMMANDS.find((c) => c === rest[0]);
    if (rest[0] !== undefined && !topic) throw new CommandLineError(`unknown command '${rest[0]}'`);
    return { command: "help", topic };
  }
  if (first === "-V" || first === "--version") return { command: "version" };
  const command = COMMANDS.find((c) => c === first);
  if (!command) {
    throw new CommandLineError(
      first.startsWith("-")
        ? `missing command before ${first} (restore, show, decode or check)`
        : `unknown command '${first}'`,
    );
  }
  const opts = parseOptionsFor(command);
  const tokens = tokenize(expandVerbosity(rest, opts), opts);
  // help and version win over everything, before any side effect
  const terminator = tokens.findIndex((t) => t.kind === "option-terminator");
  const before = terminator < 0 ? tokens : tokens.slice(0, terminator);
  if (before.some((t) => t.kind === "option" && t.name === "help")) {
    return { command: "help", topic: command };
  }
  if (before.some((t) => t.kind === "option" && t.name === "version")) {
    return { command: "version" };
  }

  const fail = (message: string): never => {
    throw new CommandLineError(message, command);
  };
  const inherit = command === "restore" || command === "check"
    ? new InheritFdTable({ stageBase: context.stageBase, logger: context.logger })
    : undefined;
  try {
    return build(command, before, terminator < 0 ? undefined : tokens.slice(terminator + 1), {
      inherit,
      fail,
    });
  } catch (e) {
    inherit?.finish();
    throw e;
  }
}

function build(
  command: Command,
  tokens: Token[],
  program: Token[] | undefined,
  ctx: { inherit?: InheritFdTable; fail: (message: string) => never },
): Options {
  const { fail, inherit } = ctx;
  const values = new Map<string, string>();
  const flags = new Set<string>();
  let level: number = DEFAULT_LOG_LEVEL;
  let inheritOutsideRestore = false;
  const exec = new Map<number, string[]>();

  for (const t of tokens) {
    if (t.kind === "positional") fail(`unexpected argument '${t.value}'`);
    if (t.kind !== "option") continue;
    const unsupported = t.rawName.startsWith("--") ? t.name : UNSUPPORTED_SHORT.get(t.name);
    if (unsupported !== undefined && unsupported in UNSUPPORTED_OPTIONS) {
      fail(`option --${unsupported} is not supported yet`);
    }
    const doc = DOC.get(t.name);
    if (
      !doc || (t.rawName.length === 2 && !t.rawName.startsWith("--") && doc.short !== t.rawName[1])
    ) {
      fail(`unknown option ${t.rawName}`);
    }
    const spec = doc as NonNullable<typeof doc>;
    if (!spec.commands.includes(command) && spec.long !== "inherit-fd") {
      fail(`option --${spec.long} does not apply to ${command}`);
    }
    if (!spec.value || (spec.optionalValue && t.value === undefined)) {
      if (t.value !== undefined) fail(`option ${t.rawName} takes no value`);
      if (spec.long === "verbose") level++;
      else flags.add(spec.long);
      continue;
    }
    if (t.value === undefined || (!t.inlineValue && t.value.startsWith("-") && t.value !== "-")) {
      fail(`option ${t.rawName} needs a value`);
    }
    const value = t.value as string;
    if (spec.long === "inherit-fd") {
      if (inherit) {
        inherit.add(value);
      } else {
        // criu: parse and write debug text first, refuse the command afterwards
        const parsed = parseInheritFdArg(value);
        if (parsed.kind === "debug") writeDebugMessage(parsed.fd, parsed.key);
        inheritOutsideRestore = true;
      }
      continue;
    }
    if (spec.long === "exec") {
      addExec(exec, value, fail);
      continue;
    }
    if (spec.long === "verbosity") {
      if (!/^[0-9]+$/.test(value) || Number(value) > 4) {
        fail(`invalid verbosity level '${value}' (expected 0 to 4)`);
      }
      level = Number(value);
      continue;
    }
    const earlier = values.get(spec.long);
    if (earlier !== undefined && earlier !== value) {
      fail(`conflicting values for --${spec.long}: '${earlier}' and '${value}'`);
    }
    values.set(spec.long, value);
  }
  if (inheritOutsideRestore) fail("--inherit-fd is restore-only option");

  if (program !== undefined && command !== "restore") {
    fail(`a program after -- is only for restore`);
  }
  const programArgs = program?.map((t) => (t.kind === "positional" ? t.value : ""));
  if (programArgs !== undefined && programArgs.length === 0) fail("missing program after --");

  const log: LogOptions = {
    logLevel: Math.min(4, level) as LogLevel,
    logFile: values.get("log-file"),
  };
  const pidText = values.get("pid");
  let pid: number | undefined;
  if (pidText !== undefined) {
    pid = Number(pidText);
    if (!/^[0-9]+$/.test(pidText) || pid < 1 || pid > 2 ** 31 - 1) {
      fail(`invalid --pid '${pidText}' (expected a process id of the dump)`);
    }
  }
  const cloexec = values.get("cloexec") ?? "keep";
  if (cloexec !== "keep" && cloexec !== "honor") {
    fail(`invalid --cloexec '${cloexec}' (expected keep or honor)`);
  }
  const imagesDir = values.get("images-dir") ?? ".";
  const handoff = handoffOptions(values, flags, fail);

  switch (command) {
    case "restore":
    case "check": {
      const common = {
        ...log,
        imagesDir,
        // criu's default is the images dir; beside an archive, its folder
        workDir: values.get("work-dir") ??
          (isArchivePath(imagesDir) ? dirname(imagesDir) : imagesDir),
        inherit: inherit as InheritFdTable,
        inheritFdStrict: flags.has("inherit-fd-strict"),
        root: values.get("root"),
        untrusted: flags.has("untrusted"),
        shellJob: flags.has("shell-job"),
        fileLocks: flags.has("file-locks"),
        tcp: tcpMode(flags),
        cloexec: cloexec as CloexecMode,
        pid,
        noChildren: flags.has("no-children"),
        ...handoff,
      };
      if (command === "check") return { command, ...common };
      if (common.untrusted && programArgs === undefined && exec.size === 0) {
        fail(
          "--untrusted needs -- PROGRAM or --exec PID=COMMAND: the recorded program, argv " +
            "and environment come from the images",
        );
      }
      const pidfile = values.get("pidfile");
      const pidMap = values.get("pid-map");
      if (pidfile !== undefined && pidfile === pidMap) {
        fail(`--pidfile and --pid-map name the same file '${pidfile}'`);
      }
      return {
        command,
        ...common,
        detached: flags.has("restore-detached"),
        pidfile,
        pidMap,
        leaveStopped: flags.has("leave-stopped"),
        ...statusFdOption(values.get("status-fd"), fail),
        program: programArgs,
        exec,
      };
    }
    case "show":
      return {
        command,
        ...log,
        imagesDir,
        root: values.get("root"),
        json: flags.has("json"),
        pid,
        fds: listOption(
          values.get("fd"),
          fail,
          "fd",
          (v) => /^[0-9]{1,10}$/.test(v) && Number(v) < 2 ** 31 ? Number(v) : undefined,
        ),
        kinds: listOption(
          values.get("kind"),
          fail,
          "kind",
          (v) => SHOW_KINDS.includes(v) ? v : undefined,
        ),
      };
    case "decode": {
      const input = values.get("in");
      const output = values.get("out");
      const dir = values.get("images-dir");
      if (input !== undefined && input === output && input !== "-") {
        fail(`--in and --out name the same file '${input}'`);
      }
      if (dir !== undefined && input !== undefined) {
        fail("--in and --images-dir exclude each other");
      }
      return { command, ...log, input, output, imagesDir: dir, pretty: flags.has("pretty") };
    }
  }
}

/** One `--exec PID=...`: a second one for the same task is a conflict. */
function addExec(exec: Map<number, string[]>, value: string, fail: (m: string) => never): void {
  try {
    const { pid, argv } = parseExecArg(value);
    if (exec.has(pid)) fail(`--exec given twice for task ${pid}`);
    exec.set(pid, argv);
  } catch (e) {
    if (e instanceof ExecArgError) fail(e.message);
    throw e;
  }
}

/** A comma-separated option value, each item checked by `item` (undefined: invalid). */
function listOption<T>(
  text: string | undefined,
  fail: (message: string) => never,
  name: string,
  item: (v: string) => T | undefined,
): T[] | undefined {
  if (text === undefined) return undefined;
  return text.split(",").map((v) => item(v) ?? fail(`invalid --${name} '${v}' in '${text}'`));
}
