/**
 * `--exec PID=COMMAND`: the program one task of the dump starts with. COMMAND
 * is split into words as a shell splits a simple command, and nothing else
 * happens to it: `'...'` keeps everything, `"..."` keeps everything but `\"`,
 * `\\`, `\$` and `` \` ``, a backslash outside quotes keeps the next character.
 * No variables, globs, `~` or operators: `$HOME` is the five characters.
 *
 * @module
 */

export class ExecArgError extends Error {}

export interface ExecArg {
  /** The task's pid in the dump. */
  readonly pid: number;
  /** The program (looked up in PATH when it has no slash) and its arguments. */
  readonly argv: string[];
}

/** Parses one `--exec` value; throws {@link ExecArgError} with the reason. */
export function parseExecArg(value: string): ExecArg {
  const m = /^([0-9]+)=(.*)$/s.exec(value);
  if (!m) throw new ExecArgError(`invalid --exec '${value}' (expected PID=PROGRAM ARGS...)`);
  const pid = Number(m[1]);
  if (pid < 1 || pid > 2 ** 31 - 1) {
    throw new ExecArgError(`invalid --exec '${value}': ${m[1]} is not a process id`);
  }
  const argv = splitWords(m[2], value);
  if (argv.length === 0) throw new ExecArgError(`invalid --exec '${value}': no program after =`);
  return { pid, argv };
}

/** The words of `text`, as a shell would split them without expanding anything. */
export function splitWords(text: string, whole = text): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === " " || c === "\t" || c === "\n") {
      if (word !== undefined) words.push(word);
      word = undefined;
      continue;
    }
    word ??= "";
    if (c === "\\") {
      if (i + 1 === text.length) throw unclosed(whole, "a backslash");
      word += text[++i];
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw unclosed(whole, "a single quote");
      word += text.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      for (i++;; i++) {
        if (i === text.length) throw unclosed(whole, "a double quote");
        if (text[i] === '"') break;
        if (text[i] === "\\" && '"\\$`'.includes(text[i + 1] ?? "")) i++;
        word += text[i];
      }
    } else {
      word += c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

function unclosed(whole: string, what: string): ExecArgError {
  return new ExecArgError(`invalid --exec '${whole}': ${what} is not closed`);
}
