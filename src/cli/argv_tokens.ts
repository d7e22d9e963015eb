/**
 * The tokens `parseArgs({ strict: false, allowPositionals: true, tokens: true })`
 * of node:util gives, made here: importing node:util starts Deno's Node layer,
 * ~10 ms on every command. Same rules: `--` ends the options; `--name=value`
 * and `-xVALUE` carry their value inline; a string option without one takes
 * the next argument whatever it looks like; `-abc` is a group of flags up to
 * the first string option, which takes the rest.
 *
 * @module
 */

/** How each long option is declared (`short` letters map to their long name). */
export type TokenOptions = Record<string, { type: "string" | "boolean"; short?: string }>;

export type Token =
  | {
    kind: "option";
    index: number;
    name: string;
    rawName: string;
    /** Undefined for an option without a value. */
    value: string | undefined;
    inlineValue: boolean | undefined;
  }
  | { kind: "positional"; index: number; value: string }
  | { kind: "option-terminator"; index: number };

/** `args` as node:util parseArgs tokens (non-strict, positionals allowed). */
export function tokenize(args: readonly string[], options: TokenOptions): Token[] {
  const longFor = (short: string): string => {
    for (const [long, o] of Object.entries(options)) if (o.short === short) return long;
    return short;
  };
  const isString = (long: string) =>
    Object.hasOwn(options, long) && options[long].type === "string";
  const tokens: Token[] = [];
  const rest = [...args];
  let index = -1;
  let group = 0; // arguments left of an expanded -abc: they share its index
  const option = (name: string, rawName: string, value?: string, inline?: boolean): Token => ({
    kind: "option",
    index,
    name,
    rawName,
    value,
    inlineValue: value === undefined ? undefined : inline,
  });
  while (rest.length > 0) {
    const arg = rest.shift()!;
    if (group > 0) group--;
    else index++;
    if (arg === "--") {
      tokens.push({ kind: "option-terminator", index });
      for (const value of rest) tokens.push({ kind: "positional", index: ++index, value });
      break;
    }
    const short = arg.length >= 2 && arg[0] === "-" && arg[1] !== "-";
    if (short && arg.length === 2) {
      const name = longFor(arg[1]);
      const value = isString(name) ? rest.shift() : undefined;
      tokens.push(option(name, arg, value, false));
      if (value !== undefined) index++;
      continue;
    }
    if (short) {
      const name = longFor(arg[1]);
      if (isString(name)) {
        tokens.push(option(name, `-${arg[1]}`, arg.slice(2), true));
      } else {
        // -abc is -a -b -c, up to a string option, which takes the rest: -abfFILE.
        const expanded: string[] = [];
        for (let i = 1; i < arg.length; i++) {
          if (!isString(longFor(arg[i])) || i === arg.length - 1) expanded.push(`-${arg[i]}`);
          else {
            expanded.push(`-${arg.slice(i)}`);
            break;
          }
        }
        rest.unshift(...expanded);
        group = expanded.length;
      }
      continue;
    }
    if (arg.length > 2 && arg.startsWith("--")) {
      const eq = arg.indexOf("=", 3);
      if (eq < 0) {
        const name = arg.slice(2);
        const value = isString(name) ? rest.shift() : undefined;
        tokens.push(option(name, arg, value, false));
        if (value !== undefined) index++;
      } else {
        const name = arg.slice(2, eq);
        tokens.push(option(name, `--${name}`, arg.slice(eq + 1), true));
      }
      continue;
    }
    tokens.push({ kind: "positional", index, value: arg });
  }
  return tokens;
}
