/**
 * `show`'s text form: one block per task, two or more lines per fd. Every
 * line of an fd after its row starts under the WHAT column, so the table
 * stays readable; text wraps at 80 columns between words, and a word that
 * does not fit (a path, a key) overflows the line instead of being cut or
 * pushing the row apart. Colour only when asked (a terminal without NO_COLOR).
 */
import type { ShowFd, ShowNeed, ShowReport, ShowTask } from "./report.ts";
import type { ContainerFacts } from "./container.ts";

const WIDTH = 80;
const FLAGS_WIDTH = 17;
/** The row is `FD(7) MODE(4) FLAGS(17) WHAT`: WHAT starts at column 31. */
export const TABLE_HEADER = `${"FD".padStart(7)} MODE ${"FLAGS".padEnd(FLAGS_WIDTH)} WHAT`;
const WHAT_COL = TABLE_HEADER.indexOf("WHAT");
const UNDER_WHAT = " ".repeat(WHAT_COL);

export interface RenderOptions {
  color?: boolean;
}

/** SGR codes; each painted piece is reset, so padding stays outside the colour. */
const SGR = { bold: "1", dim: "2", red: "31", yellow: "33", cyan: "36" } as const;
type Paint = (style: keyof typeof SGR, s: string) => string;

export function renderReport(report: ShowReport, opts: RenderOptions = {}): string {
  const parts: string[] = [];
  renderReportTo(report, opts, (text) => void parts.push(text));
  return parts.join("");
}

/**
 * What the text form walks, in order: the container, each task with its fds
 * (which may be made one by one as they are read: src/show/stream.ts), then
 * the needs, asked for only once every fd was read.
 */
export interface TextSource {
  container?: ContainerFacts;
  /** `task.fds` is not read: `fds` is. */
  tasks: Iterable<{ task: ShowTask; fds: Iterable<ShowFd> }>;
  needs(): { needs: readonly ShowNeed[]; hidden: number };
}

/** {@link renderReport} in pieces of about 64 KiB handed to `write`. */
export function renderReportTo(
  report: ShowReport,
  opts: RenderOptions,
  write: (text: string) => void,
): void {
  renderTextTo(
    {
      container: report.container,
      tasks: report.tasks.map((task) => ({ task, fds: task.fds })),
      needs: () => ({ needs: report.needs, hidden: report.needs_not_shown ?? 0 }),
    },
    opts,
    write,
  );
}

/** The text form of `src`, handed to `write` in pieces as it is made (never whole). */
export function renderTextTo(
  src: TextSource,
  opts: RenderOptions,
  write: (text: string) => void,
): void {
  const paint: Paint = (style, s) => opts.color && s ? `\x1b[${SGR[style]}m${s}\x1b[0m` : s;
  // Lines collect in a list joined once per piece: no string is rebuilt line by line.
  let lines: string[] = [];
  let size = 0;
  const out = (line: string) => {
    lines.push(line);
    size += line.length + 1;
    if (size >= CHUNK) {
      write(lines.join("\n") + "\n");
      [lines, size] = [[], 0];
    }
  };
  const outAll = (all: string[]) => all.forEach((line) => out(line));
  if (src.container) outAll([...renderContainer(src.container, paint), ""]);
  for (const { task, fds } of src.tasks) {
    renderTask(task, fds, paint, out);
    out("");
  }
  const { needs, hidden } = src.needs();
  if (needs.length === 0 && hidden === 0) {
    out("A restore needs nothing from the caller.");
  } else {
    out(paint("bold", "What a restore needs from the caller:"));
    for (const n of needs) {
      const fd = n.fd === undefined ? "" : ` fd ${n.fd}`;
      outAll(wrap(`task ${n.pid}${fd}: ${paint("yellow", n.reason)}`, "  ", "    "));
      const pass = n.inherit_arg ?? n.exec_arg;
      if (pass) outAll(wrap(`pass ${pass}`, "      ", "        "));
    }
    if (hidden) out(`  and ${hidden} more for fds not shown (without --fd/--kind/--pid)`);
  }
  if (lines.length) write(lines.join("\n") + "\n");
}

const CHUNK = 64 * 1024;

function renderContainer(c: ContainerFacts, paint: Paint): string[] {
  const what = [c.engine, c.runtime && `runtime ${c.runtime}`].filter((s) => s).join(", ");
  const lines = [paint("bold", `container ${c.name ?? "(unnamed)"}`) + (what ? `  ${what}` : "")];
  const field = (label: string, value?: string) => {
    if (value) lines.push(...wrapWords([glue(value)], `  ${label.padEnd(13)}`, " ".repeat(15)));
  };
  field("id", c.id);
  field("image", c.image);
  field("created", c.created);
  field("checkpointed", c.checkpointed);
  field("host", c.hostname);
  if (c.command) {
    lines.push(...wrap(c.command.map(quote).join(" "), "  command      ", " ".repeat(15)));
  }
  for (const [i, m] of (c.mounts ?? []).entries()) {
    const from = m.source && m.source !== m.type ? ` from ${m.source}` : "";
    field(i ? "" : "mounts", `${m.destination} (${m.type ?? "?"})${from}`);
  }
  return lines;
}

function renderTask(
  t: ShowTask,
  fds: Iterable<ShowFd>,
  paint: Paint,
  out: (line: string) => void,
): void {
  const lines = [
    paint("bold", `task ${t.pid} ${t.comm}`) +
    `  parent ${t.ppid}  pgid ${t.pgid}  sid ${t.sid}  ${t.state}`,
  ];
  const via = t.exe_via ? ` (through the link ${t.exe_via})` : "";
  if (t.exe) lines.push(...wrap(t.exe + via, "  program ", "          "));
  if (t.argv) lines.push(...wrap(argvText(t.argv), "  argv    ", "          "));
  if (t.program_doubt) lines.push(...wrap(`${t.program_doubt}`, "  doubt   ", "          "));
  const fs = [`cwd ${t.cwd ?? "?"}`, `root ${t.root ?? "?"}`];
  if (t.umask) fs.push(`umask ${t.umask}`);
  lines.push(...wrap(fs.join("   "), "  ", "  "));
  if (t.fd_table !== t.pid) {
    lines.push(`  shares the fd table of task ${t.fd_table} (listed there)`);
  }
  for (const line of lines) out(line);
  if (t.fd_table !== t.pid) return;
  let none = true;
  for (const fd of fds) {
    if (none) out(paint("bold", TABLE_HEADER));
    none = false;
    renderFd(fd, paint, out);
  }
  if (none) out(t.fds_total ? `  no fds of ${t.fds_total} match` : "  no fds");
}

/**
 * An fd's lines. Most fit in 80 columns as they are: those are written
 * without splitting them into words (100,000 fds made ~3 KB of short-lived
 * arrays and strings each); a line that does not fit is wrapped by
 * {@link wrapWords} exactly as the whole text would be.
 */
function renderFd(fd: ShowFd, paint: Paint, out: (line: string) => void): void {
  const flagText = flagsText(fd.flags, fd.cloexec);
  const row = `${paint("cyan", String(fd.fd).padStart(7))} ${(fd.access ?? "-").padEnd(4)} `;
  // Flags wider than their column get the row to themselves: WHAT stays aligned.
  let head = row + flagText.padEnd(FLAGS_WIDTH) + " ";
  if (flagText.length > FLAGS_WIDTH) {
    out(row + flagText);
    head = UNDER_WHAT;
  }
  renderWhat(fd, head, out);
  // Facts share a line, separated by "; ", while they fit; a long one wraps under WHAT.
  // Each fact is one string of words; a space inside a word is glued (NUL) until output.
  const facts = new FactLines(out);
  if (fd.pos !== undefined && fd.pos !== "0") facts.add(`pos\0${glue(fd.pos)}`);
  if (fd.peer) {
    const label = fd.type === "PIPE" ? "other\0end" : "peer";
    facts.add(
      fd.peer.length
        ? `${label} ${commaText(fd.peer)}`
        : `${label} ${glue(paint("yellow", "outside the dump"))}`,
    );
  }
  if (fd.shares.length) facts.add(`same\0description\0as ${commaText(fd.shares)}`);
  if (fd.inherit_key !== undefined) {
    facts.add(`${paint("dim", "key")}\0${glue(fd.inherit_key)}`);
  }
  facts.end();
}

/** The status flags shown (largefile is implied on x86-64), then cloexec; "-" for none. */
function flagsText(flags: readonly string[], cloexec: boolean): string {
  let text = "";
  let n = 0;
  for (const f of flags) {
    if (f === "largefile") continue;
    text = n++ ? `${text},${f}` : f;
  }
  if (cloexec) text = n++ ? `${text},cloexec` : "cloexec";
  return n ? text : "-";
}

/** The WHAT text after `head`: a path is one word, it overflows rather than wrapping inside a name. */
function renderWhat(fd: ShowFd, head: string, out: (line: string) => void): void {
  const what = fd.what;
  const path = pathOf(fd);
  // The words joined again give `what` itself unless spaces after the path collapse.
  const rest = path === undefined ? what : what.slice(path.length);
  const same = path === undefined || rest === "" ||
    (rest[0] === " " && !rest.endsWith(" ") && !rest.includes("  "));
  if (same) {
    const oneWord = path === undefined ? !what.includes(" ") : rest === "";
    if (oneWord || visible(head) + visible(what) <= WIDTH) return out(unglue(head + what));
  }
  const words = path ? [glue(path), ...rest.split(" ").filter((w) => w)] : what.split(" ");
  for (const line of wrapWords(words, head, UNDER_WHAT)) out(line);
}

/** The path `what` starts with (details.path, or details.name), if there is one. */
function pathOf(fd: ShowFd): string | undefined {
  for (const p of [fd.details.path, fd.details.name]) {
    if (typeof p === "string" && p.startsWith("/") && fd.what.startsWith(p)) return p;
  }
  return undefined;
}

/**
 * Packs facts into lines under WHAT: a fact joins the line (after "; ") when
 * the line without that ";" still fits. A line that then does not fit, or a
 * fact too long alone, is wrapped between its words.
 */
class FactLines {
  #line = "";
  #width = 0;

  constructor(private readonly out: (line: string) => void) {}

  add(fact: string): void {
    const width = visible(fact);
    if (this.#line === "") {
      [this.#line, this.#width] = [fact, width];
    } else if (WHAT_COL + this.#width + 1 + width > WIDTH) {
      this.end();
      [this.#line, this.#width] = [fact, width];
    } else {
      this.#line += "; " + fact;
      this.#width += 2 + width;
    }
  }

  /** Writes the line being packed. */
  end(): void {
    const line = this.#line;
    if (line === "") return;
    if (WHAT_COL + this.#width <= WIDTH || !line.includes(" ")) {
      this.out(unglue(UNDER_WHAT + line));
    } else {
      for (const l of wrapWords(line.split(" "), UNDER_WHAT, UNDER_WHAT)) this.out(l);
    }
    this.#line = "";
    this.#width = 0;
  }
}

/** A title's padding is counted, not printed: `'nginx: worker process' and 49 empty strings`. */
function argvText(argv: string[]): string {
  let n = 0;
  while (n < argv.length - 1 && argv[argv.length - 1 - n] === "") n++;
  const shown = argv.slice(0, argv.length - (n >= 2 ? n : 0)).map(quote).join(" ");
  return n >= 2 ? `${shown} and ${n} empty strings` : shown;
}

/** `["a b", "c"]` → `"a\0b, c"`: items that break only after a comma. */
function commaText(items: readonly string[]): string {
  let text = "";
  for (let i = 0; i < items.length; i++) text += (i ? ", " : "") + glue(items[i]);
  return text;
}

/** Keeps a phrase on one line: its spaces become NUL (never in a path) until output. */
const glue = (s: string) => s.includes(" ") ? s.replaceAll(" ", "\0") : s;
const unglue = (s: string) => s.includes("\0") ? s.replaceAll("\0", " ") : s;

/** Columns a string takes on a terminal: SGR codes take none. */
function visible(s: string): number {
  // deno-lint-ignore no-control-regex
  if (s.includes("\x1b")) s = s.replace(/\x1b\[[0-9;]*m/g, "");
  return SURROGATE.test(s) ? [...s].length : s.length;
}

/** Only a surrogate pair makes code points differ from UTF-16 units. */
const SURROGATE = /[\ud800-\udfff]/;

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** Lays words out after `first`, then `rest`, to 80 columns; a word is never cut. */
export function wrapWords(words: string[], first: string, rest: string): string[] {
  const lines: string[] = [];
  let line = first;
  let width = visible(first);
  let empty = true;
  for (const word of words) {
    const w = visible(word);
    if (!empty && width + 1 + w > WIDTH) {
      lines.push(unglue(line));
      line = rest;
      width = visible(rest);
      empty = true;
    }
    line += (empty ? "" : " ") + word;
    width += (empty ? 0 : 1) + w;
    empty = false;
  }
  lines.push(unglue(line));
  return lines;
}

/** Word-wraps `text` after `first` (then `rest`) to 80 columns; a long word overflows. */
export function wrap(text: string, first: string, rest: string): string[] {
  return wrapWords(text.split(" "), first, rest);
}
