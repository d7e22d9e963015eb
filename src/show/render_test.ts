import assert from "node:assert/strict";
import { renderReport, wrapWords } from "./render.ts";
import type { ShowFd, ShowReport } from "./report.ts";

/**
 * The layout rules of an fd's lines, word by word and nothing else: the row,
 * WHAT wrapped under its column (a path is one word), then the facts packed
 * into lines after "; " while the line without that ";" fits in 80 columns,
 * each packed line wrapped between its words. A phrase glued with NUL stays
 * on one line. render.ts writes most lines without splitting them: it must
 * lay them out exactly so.
 */
function fdLinesByWords(fd: ShowFd, color: boolean): string[] {
  const paint = (code: string, s: string) => color && s ? `\x1b[${code}m${s}\x1b[0m` : s;
  const glue = (s: string) => s.replaceAll(" ", "\0");
  const commaList = (items: string[]) =>
    items.map((s, i) => glue(i < items.length - 1 ? `${s},` : s));
  const under = " ".repeat(31);
  // deno-lint-ignore no-control-regex
  const cols = (s: string) => [...s.replace(/\x1b\[[0-9;]*m/g, "")].length;
  const flags = [...fd.flags.filter((f) => f !== "largefile"), ...(fd.cloexec ? ["cloexec"] : [])];
  const flagText = flags.join(",") || "-";
  const row = `${paint("36", String(fd.fd).padStart(7))} ${(fd.access ?? "-").padEnd(4)} `;
  const lines: string[] = [];
  let head = row + flagText.padEnd(17) + " ";
  if (flagText.length > 17) [head] = [under, lines.push(row + flagText)];
  const path = [fd.details.path, fd.details.name].find((p): p is string =>
    typeof p === "string" && p.startsWith("/") && fd.what.startsWith(p)
  );
  const what = path
    ? [glue(path), ...fd.what.slice(path.length).split(" ").filter((w) => w)]
    : fd.what.split(" ");
  lines.push(...wrapWords(what, head, under));
  const facts: string[][] = [];
  if (fd.pos !== undefined && fd.pos !== "0") facts.push([glue(`pos ${fd.pos}`)]);
  if (fd.peer) {
    const label = fd.type === "PIPE" ? "other end" : "peer";
    facts.push(
      fd.peer.length
        ? [label, ...commaList(fd.peer)]
        : [label, glue(paint("33", "outside the dump"))],
    );
  }
  if (fd.shares.length) facts.push(["same description as", ...commaList(fd.shares)]);
  if (fd.inherit_key !== undefined) facts.push([glue(`${paint("2", "key")} ${fd.inherit_key}`)]);
  let line: string[] = [];
  for (const fact of facts) {
    if (line.length && cols(under + [...line, ...fact].join(" ")) > 80) {
      lines.push(...wrapWords(line, under, under));
      line = [...fact];
    } else {
      if (line.length) line[line.length - 1] += ";";
      line = [...line, ...fact];
    }
  }
  if (line.length) lines.push(...wrapWords(line, under, under));
  return lines;
}

/** A small deterministic generator, so a failure names a case that comes again. */
function generator(seed: number) {
  let s = seed;
  const next = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)];
  const word = () =>
    pick([
      "a",
      "ab",
      "pipe:[12]",
      "fd 3",
      "7179:2",
      "x".repeat(int(40)),
      "é",
      "😀".repeat(int(30)),
    ]);
  const words = (n: number) => Array.from({ length: n }, word).join(pick([" ", " ", "  "]));
  return { int, pick, word, words };
}

function randomFd(g: ReturnType<typeof generator>, n: number): ShowFd {
  const path = "/" + g.words(g.int(6)).replaceAll(" ", g.pick(["/", " "]));
  const withPath = g.int(3) > 0;
  const rest = g.pick(["", " (chr)", " (deleted; ghost copy)", "  x", " x ", " " + g.words(4)]);
  const list = (k: number) => Array.from({ length: k }, () => g.pick(["fd 7", "71:2", "+3 more"]));
  return {
    fd: g.pick([n, n * 1000, 123456789]),
    type: g.pick(["REG", "PIPE", "UNIXSK"]),
    kind: "file",
    file_id: n,
    what: withPath ? path + rest : g.words(g.pick([1, 2, 3, g.int(20) + 1])),
    access: g.pick([undefined, "r", "rw", "path"]),
    flags: g.pick([[], ["largefile"], ["append", "nonblock"], [
      "sync",
      "append",
      "nonblock",
      "direct",
    ]]),
    cloexec: g.int(2) === 0,
    pos: g.pick([undefined, "0", "12", "18446744073709551615"]),
    shares: list(g.pick([0, 0, 1, 3, 9])),
    peer: g.pick([undefined, [], list(1), list(6)]),
    inherit_key: g.pick([undefined, "dev/null", "a key with spaces", "k".repeat(g.int(90))]),
    details: withPath ? { path } : {},
  };
}

Deno.test("an fd's lines lay out as word-by-word wrapping would, around 80 columns", () => {
  for (const color of [false, true]) {
    const g = generator(color ? 7 : 11);
    const fds = Array.from({ length: 3000 }, (_, i) => randomFd(g, i));
    const report: ShowReport = {
      images: "/images",
      tasks: [{ pid: 1, ppid: 0, pgid: 1, sid: 1, comm: "t", state: "alive", fd_table: 1, fds }],
      needs: [],
    };
    const text = renderReport(report, { color }).split("\n");
    let at = text.findIndex((l) => l.includes("FD MODE FLAGS")) + 1;
    for (const fd of fds) {
      const want = fdLinesByWords(fd, color);
      assert.deepEqual(text.slice(at, at + want.length), want, JSON.stringify(fd));
      at += want.length;
    }
    assert.equal(text[at], "", "nothing after the last fd");
  }
});
