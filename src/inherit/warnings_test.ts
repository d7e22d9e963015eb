import assert from "node:assert/strict";
import { LOG_LEVEL, Logger } from "../log.ts";
import { EXIT } from "../errors.ts";
import { close, pipe2 } from "../sys/mod.ts";
import { InheritFdError } from "./error.ts";
import { InheritFdTable } from "./table.ts";
import { checkInheritKeys, editDistance, suggestKey, unmatchedWarnings } from "./warnings.ts";

const KEYS = [
  "pipe:[190085]",
  "socket:[190196]",
  "tmp/criu-corpus/inherit-reg-log/app.log",
  "tmp/criu-corpus/inherit-reg-log/other.log",
  "dev/null",
  ".",
  "tty[8800:1a]",
  "/memfd:corpus-sealed",
];

Deno.test("editDistance counts single-character edits", () => {
  assert.equal(editDistance("", "abc"), 3);
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.equal(editDistance("pipe[1]", "pipe:[1]"), 1);
});

const SUGGESTIONS: [string, string | undefined][] = [
  ["pipe[190085]", "pipe:[190085]"],
  ["pipe:190085", "pipe:[190085]"],
  ["190085", "pipe:[190085]"],
  ["socket[190196]", "socket:[190196]"],
  ["/tmp/criu-corpus/inherit-reg-log/app.log", "tmp/criu-corpus/inherit-reg-log/app.log"],
  ["/tmp/criu-corpus/inherit-reg-log/app.log (deleted)", "tmp/criu-corpus/inherit-reg-log/app.log"],
  ["/", "."],
  ["app.log", "tmp/criu-corpus/inherit-reg-log/app.log"],
  ["memfd:corpus-sealed", "/memfd:corpus-sealed"],
  ["/memfd:corpus-sealed (deleted)", "/memfd:corpus-sealed"],
  ["tty[34816:26]", "tty[8800:1a]"],
  ["tty[0x8800:0x1A]", "tty[8800:1a]"],
  ["dev/nul", "dev/null"],
  ["pipe:[190086]", "pipe:[190085]"],
  ["something/else/entirely", undefined],
];

for (const [key, want] of SUGGESTIONS) {
  Deno.test(`suggestKey suggests ${want ?? "nothing"} for ${key}`, () => {
    assert.equal(suggestKey(key, KEYS), want);
  });
}

function withTable(args: (w: number) => string[], fn: (t: InheritFdTable) => void): void {
  const [r, w] = pipe2(0);
  const t = new InheritFdTable({ stageBase: 700 });
  try {
    for (const arg of args(w)) t.add(arg);
    fn(t);
  } finally {
    t.finish();
    close(r);
  }
}

function memoryLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: new Logger(LOG_LEVEL.WARN, (l) => lines.push(l)), lines };
}

Deno.test("unmatchedWarnings names the argument and the closest real key", () => {
  withTable((w) => [`fd[${w}]:pipe[190085]`, `fd[${w}]:pipe:[190085]`, `fd[${w}]:zzz`], (t) => {
    const w = t.entries[0].fd;
    assert.deepEqual(unmatchedWarnings(t, KEYS), [
      `--inherit-fd fd[${w}]:pipe[190085] matched no file in the images; did you mean pipe:[190085]?`,
      `--inherit-fd fd[${w}]:zzz matched no file in the images`,
    ]);
  });
});

Deno.test("checkInheritKeys warns about unmatched, repeated and regular-file keys", () => {
  const { logger, lines } = memoryLogger();
  withTable(
    (w) => [`fd[${w}]:/dev/null`, `fd[${w}]:dev/null`, `fd[${w}]:dev/null`],
    (t) => {
      const w = t.entries[0].fd;
      checkInheritKeys(t, { all: KEYS, regular: ["dev/null"] }, { logger });
      assert.deepEqual(lines, [
        `Warn: --inherit-fd fd[${w}]:/dev/null matched no file in the images; did you mean dev/null?\n`,
        `Warn: --inherit-fd fd[${w}]:dev/null repeats the key of fd[${w}]:dev/null; only the first is used, inherit fd ${w} is closed unused\n`,
        `Warn: --inherit-fd fd[${w}]:dev/null replaces a regular file: the program gets the caller's open mode, flags and offset, not the image's\n`,
      ]);
    },
  );
});

Deno.test("checkInheritKeys in strict mode fails on the first unmatched key", () => {
  const { logger, lines } = memoryLogger();
  withTable((w) => [`fd[${w}]:pipe[190085]`, `fd[${w}]:nope`], (t) => {
    const w = t.entries[0].fd;
    assert.throws(() => checkInheritKeys(t, { all: KEYS }, { strict: true, logger }), (e) => {
      assert.ok(e instanceof InheritFdError);
      assert.equal(e.exitCode, EXIT.INHERIT);
      assert.equal(
        e.message,
        `--inherit-fd fd[${w}]:pipe[190085] matched no file in the images; did you mean pipe:[190085]? (and 1 more)`,
      );
      return true;
    });
    // The first is the thrown error (main prints it once); only the others are logged.
    assert.equal(lines.length, 1);
    assert.match(lines[0], /^Error: --inherit-fd fd\[\d+\]:nope matched no file/);
  });
});

Deno.test("checkInheritKeys in strict mode passes when every key matches", () => {
  withTable((w) => [`fd[${w}]:pipe:[190085]`], (t) => {
    checkInheritKeys(t, { all: KEYS }, { strict: true, logger: memoryLogger().logger });
  });
});
