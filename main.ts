/**
 * The fdrestore command: parse the command line, run the command, exit with
 * its code. The only place that prints errors and exits; library code throws
 * typed errors (src/errors.ts) and logs through src/cli/log.ts.
 */
import { resolve } from "./src/sys/path.ts";
import { EXIT, FdrestoreError } from "./src/errors.ts";
import { log, type LogLevel, stderrSink } from "./src/cli/log.ts";
import { CommandLineError, type Options, parseCommandLine } from "./src/cli/options.ts";
import { usageText } from "./src/cli/usage.ts";
import { writeStdout } from "./src/cli/output.ts";
import { HELPER_COMMAND } from "./src/restore/self_exec.ts";
import { sourceCommit, VERSION } from "./src/version.ts";
import { ignoreSignal, inheritedIgnores } from "./src/sys/signals.ts";
import { SIG } from "./src/sys/consts.ts";

let loggingToFile = false;

async function setUpLogging(
  opts: { logLevel: LogLevel; logFile?: string; workDir?: string },
): Promise<void> {
  log.level = opts.logLevel;
  if (opts.logFile) {
    // Like criu, a relative log file goes into the work directory.
    const path = opts.workDir ? resolve(opts.workDir, opts.logFile) : opts.logFile;
    log.sink = (await import("./src/cli/out_file.ts")).logFileSink(path, stderrSink);
    loggingToFile = true;
  }
}

function printError(line: string): void {
  stderrSink(`fdrestore: ${line}\n`);
}

// Each command's code is imported when it runs, so --version and tree
// helpers start without evaluating the image decoder and the restore machinery.
async function run(opts: Options, ignored: readonly number[]): Promise<number> {
  switch (opts.command) {
    case "help":
      writeStdout(usageText(opts.topic));
      return EXIT.OK;
    case "version":
      writeStdout(`fdrestore ${VERSION} (commit ${sourceCommit()}), deno ${Deno.version.deno}\n`);
      return EXIT.OK;
    case "show":
      await setUpLogging(opts);
      return await (await import("./src/cli/show_command.ts")).runShow(opts);
    case "decode":
      await setUpLogging(opts);
      return await (await import("./src/cli/decode_command.ts")).runDecode(opts);
    case "restore":
    case "check":
      await setUpLogging(opts);
      return await (await import("./src/restore/restore_command.ts")).runRestore(opts, ignored);
  }
}

/** Prints one line for a user error; a bug keeps its stack. */
function report(e: unknown): number {
  // A closed stdout (`| head`) ends the command quietly, like coreutils.
  if (e instanceof FdrestoreError && e.exitCode === EXIT.CLOSED_STDOUT) return e.exitCode;
  if (e instanceof FdrestoreError) {
    // One line on stderr whatever the verbosity; the log file gets it too.
    if (loggingToFile) log.error(e.message);
    printError(`error: ${e.message}`);
    if (e instanceof CommandLineError) stderrSink(`${e.hint}\n`);
    return e.exitCode;
  }
  throw e;
}

/** `ignored`: for restore and check, the signals the caller ignored (see below). */
export async function main(argv: string[], ignored: readonly number[] = []): Promise<number> {
  try {
    return await run(parseCommandLine(argv), ignored);
  } catch (e) {
    return report(e);
  }
}

if (import.meta.main) {
  if (Deno.args[0] === HELPER_COMMAND) {
    // An internal helper of a tree restore (src/restore/helper.ts).
    const { runHelper } = await import("./src/restore/helper.ts");
    Deno.exit(runHelper(Number(Deno.args[1])));
  }
  // A restore reads the dispositions the caller left before the first await
  // (Deno replaces some ~500 ms in), then ignores SIGUSR1, whose default
  // action would kill it with nothing rolled back (src/restore/ignored_signals.ts).
  let ignored: number[] = [];
  if (Deno.args[0] === "restore" || Deno.args[0] === "check") {
    ignored = inheritedIgnores();
    ignoreSignal(SIG.USR1);
  }
  // TEST ONLY (src/sys/fault_env.ts): fail a chosen libc call when the env asks.
  (await import("./src/sys/fault_env.ts")).armFaultFromEnv();
  Deno.exitCode = await main(Deno.args, ignored);
}
