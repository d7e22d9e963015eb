/**
 * Logging with criu's verbosity levels.
 *
 * `-v0` prints only messages that are always shown, `-v1` adds errors, `-v2`
 * (the default, as in criu) adds warnings, `-v3` info and `-v4` debug. Lines go
 * to stderr, or to the file given with `-o/--log-file`. This is the only module
 * that writes diagnostics; library code calls it instead of `console`.
 */

export const LOG_LEVEL = {
  MSG: 0,
  ERROR: 1,
  WARN: 2,
  INFO: 3,
  DEBUG: 4,
} as const;

export type LogLevel = typeof LOG_LEVEL[keyof typeof LOG_LEVEL];

/** criu's default verbosity. */
export const DEFAULT_LOG_LEVEL: LogLevel = LOG_LEVEL.WARN;

const PREFIX: Record<LogLevel, string> = {
  0: "",
  1: "Error: ",
  2: "Warn: ",
  3: "",
  4: "",
};

/** Where log lines go: a function that takes one complete line (with its newline). */
export type LogSink = (line: string) => void;

const encoder = new TextEncoder();

/**
 * A sink writing synchronously to stderr, so lines are never lost on exit.
 * A stderr that cannot be written (closed, full) has nowhere to report to:
 * the line is dropped. (`-o/--log-file` is src/cli/out_file.ts's logFileSink.)
 */
export const stderrSink: LogSink = (line) => {
  const data = encoder.encode(line);
  let off = 0;
  try {
    while (off < data.length) off += Deno.stderr.writeSync(data.subarray(off));
  } catch {
    // nowhere left to say it
  }
};

export class Logger {
  level: LogLevel;
  sink: LogSink;
  #start = performance.now();

  constructor(level: LogLevel = DEFAULT_LOG_LEVEL, sink: LogSink = stderrSink) {
    this.level = level;
    this.sink = sink;
  }

  /** True when messages of `level` are written; use it to skip costly formatting. */
  enabled(level: LogLevel): boolean {
    return level <= this.level;
  }

  #write(level: LogLevel, text: string): void {
    if (!this.enabled(level)) return;
    // criu stamps lines with seconds since start at -v3 and above.
    const stamp = this.level >= LOG_LEVEL.INFO
      ? `(${((performance.now() - this.#start) / 1000).toFixed(6).padStart(10)}) `
      : "";
    this.sink(`${stamp}${PREFIX[level]}${text}\n`);
  }

  msg(text: string): void {
    this.#write(LOG_LEVEL.MSG, text);
  }
  error(text: string): void {
    this.#write(LOG_LEVEL.ERROR, text);
  }
  warn(text: string): void {
    this.#write(LOG_LEVEL.WARN, text);
  }
  info(text: string): void {
    this.#write(LOG_LEVEL.INFO, text);
  }
  debug(text: string): void {
    this.#write(LOG_LEVEL.DEBUG, text);
  }
}

/** The process-wide logger; `main.ts` configures it from the options. */
export const log = new Logger();
