/**
 * `show`'s text form: one block per task, two or more lines per fd, at most
 * 80 columns. Colour (bold headers) only on a terminal without NO_COLOR.
 */
import type { ShowFd, ShowReport, ShowTask } from "./report.ts";

const WIDTH = 80;
const WHAT_COL = 31;
const NARROW = " ".repeat(9);

export interface RenderOptions {
  color?: boolean;
}

export function renderReport(report: ShowReport, opts: RenderOptions = {}): string {
  const bold = (s: string) => opts.color ? `\x1b[1m${s}\x1b[0m` : s;
  const out: string[] = [];
  for (const task of report.tasks) {
    for (const line of renderTask(task, bold)) out.push(line);
    out.push("");
  }
  if (report.needs.length === 0) {
    out.push("A restore needs nothing from the caller.");
  } else {
    out.push(bold("What a restore needs from the caller:"));
    for (const n of report.needs) {
      const fd = n.fd === undefined ? "" : ` fd ${n.fd}`;
      out.push(...wrap(`task ${n.pid}${fd}: ${n.reason}`, "  ", "    "));
      const pass = n.inherit_arg ?? n.exec_arg;
      if (pass) out.push(...wrap(`pass ${pass}`, "      ", "        "));
    }
  }
  return out.join("\n") + "\n";
}

function renderTask(t: ShowTask, bold: (s: string) => string): string[] {
  const lines = [
    bold(`task ${t.pid} ${t.comm}`) +
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
    return lines;
  }
  if (t.fds.length === 0) {
    lines.push("  no fds");
    return lines;
  }
  lines.push("     FD MODE FLAGS             WHAT");
  for (const fd of t.fds) lines.push(...renderFd(fd));
  return lines;
}

function renderFd(fd: ShowFd): string[] {
  const flags = [...fd.flags.filter((f) => f !== "largefile"), ...(fd.cloexec ? ["cloexec"] : [])];
  const head = `${String(fd.fd).padStart(7)} ${(fd.access ?? "-").padEnd(4)} ` +
    `${(flags.join(",") || "-").padEnd(17)} `;
  const indent = " ".repeat(WHAT_COL);
  // A long path does not fit beside the columns: it gets a line of its own.
  const lines = WHAT_COL + fd.what.length > WIDTH && !fd.what.includes(" ")
    ? [head.trimEnd(), ...wrap(fd.what, NARROW, NARROW)]
    : wrap(fd.what, head, indent);
  const facts: string[] = [];
  if (fd.pos !== undefined && fd.pos !== "0") facts.push(`pos ${fd.pos}`);
  if (fd.peer) {
    const label = fd.type === "PIPE" ? "other end" : "peer";
    facts.push(fd.peer.length ? `${label} ${fd.peer.join(", ")}` : `${label} outside the dump`);
  }
  if (fd.shares.length) facts.push(`same description as ${fd.shares.join(", ")}`);
  if (fd.inherit_key !== undefined) facts.push(`key ${fd.inherit_key}`);
  // Facts stay whole on a line where they fit; only an overlong one is wrapped.
  let line = "";
  for (const fact of facts) {
    if (line && indent.length + line.length + 2 + fact.length > WIDTH) {
      lines.push(indent + line);
      line = "";
    }
    if (!line && indent.length + fact.length > WIDTH) {
      lines.push(...wrap(fact, NARROW, NARROW));
      continue;
    }
    line = line ? `${line}; ${fact}` : fact;
  }
  if (line) lines.push(indent + line);
  return lines;
}

/** A title's padding is counted, not printed: `'nginx: worker process' and 49 empty strings`. */
function argvText(argv: string[]): string {
  let n = 0;
  while (n < argv.length - 1 && argv[argv.length - 1 - n] === "") n++;
  const shown = argv.slice(0, argv.length - (n >= 2 ? n : 0)).map(quote).join(" ");
  return n >= 2 ? `${shown} and ${n} empty strings` : shown;
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** Word-wraps `text` after `first` (then `rest`) to 80 columns; long words are cut. */
export function wrap(text: string, first: string, rest: string): string[] {
  if (first.length + text.length <= WIDTH) return [first + text];
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const word of text.split(" ")) {
    if (!empty && line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = rest;
      empty = true;
    }
    let w = word;
    while (line.length + (empty ? 0 : 1) + w.length > WIDTH && (empty ? line.length : 0) < WIDTH) {
      const room = WIDTH - line.length - (empty ? 0 : 1);
      if (room < 8) break;
      lines.push(line + (empty ? "" : " ") + w.slice(0, room));
      w = w.slice(room);
      line = rest;
      empty = true;
    }
    line += (empty ? "" : " ") + w;
    empty = false;
  }
  lines.push(line);
  return lines;
}
