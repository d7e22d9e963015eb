/**
 * The fdrestore command: parse the command line, run the command, exit with
 * its code. The only place that prints errors and exits; library code throws
 * typed errors (src/errors.ts) and logs through src/cli/log.ts.
 */
import { resolve } from "./src/sys/path.ts";
import { EXIT, FdrestoreError } from "./src/errors.ts";
import { fileSink, log, type LogLevel, stderrSink } from "./src/cli/log.ts";
import { CommandLineError, type Options, parseCommandLine } from "./src/cli/options.ts";
import { usageText } from "./src/cli/usage.ts";
import { writeStdout } from "./src/cli/output.ts";
import { HELPER_COMMAND } from "./src/restore/self_exec.ts";
import { sourceCommit, VERSION } from "./src/version.ts";

let loggingToFile = false;

function setUpLogging(opts: { logLevel: LogLevel; logFile?: string; workDir?: string }): void {
  log.level = opts.logLevel;
  if (opts.logFile) {
    // Like criu, a relative log file goes into the work directory.
    log.sink = fileSink(opts.workDir ? resolve(opts.workDir, opts.logFile) : opts.logFile);
    loggingToFile = true;
  }
}

function printError(line: string): void {
  stderrSink(`fdrestore: ${line}\n`);
}

// Each command's code is imported when it runs, so --version and tree
// helpers start without evaluating protobufjs and the restore machinery.
async function run(opts: Options): Promise<number> {
  switch (opts.command) {
    case "help":
      writeStdout(usageText(opts.topic));
      return EXIT.OK;
    case "version":
      writeStdout(`fdrestore ${VERSION} (commit ${sourceCommit()}), deno ${Deno.version.deno}\n`);
      return EXIT.OK;
    case "show":
      setUpLogging(opts);
      return (await import("./src/cli/show_command.ts")).runShow(opts);
    case "decode":
      setUpLogging(opts);
      return (await import("./src/cli/decode_command.ts")).runDecode(opts);
    case "restore":
    case "check":
      setUpLogging(opts);
      return await (await import("./src/restore/restore_command.ts")).runRestore(opts);
  }
}

/** Prints one line for a user error; a bug keeps its stack. */
function report(e: unknown): number {
  if (e instanceof FdrestoreError) {
    // One line on stderr whatever the verbosity; the log file gets it too.
    if (loggingToFile) log.error(e.message);
    printError(`error: ${e.message}`);
    if (e instanceof CommandLineError) stderrSink(`${e.hint}\n`);
    return e.exitCode;
  }
  throw e;
}

export async function main(argv: string[]): Promise<number> {
  try {
    return await run(parseCommandLine(argv));
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
  // TEST ONLY (src/sys/fault_env.ts): fail a chosen libc call when the env asks.
  (await import("./src/sys/fault_env.ts")).armFaultFromEnv();
  Deno.exitCode = await main(Deno.args);
}
