/**
 * Terminals, end to end: restores under a real pseudo-terminal (made by
 * tests/support/pty_run.py, like a terminal emulator), typing into the
 * restored program and reading what it writes; pty pairs with their queued
 * bytes; external files given with --inherit-fd.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readEntries } from "../src/image/mod.ts";
import { encodeImage } from "./support/image_writer.ts";
import { CORPUS, haveCorpus, REPO_ROOT } from "./support/corpus.ts";
import { FDRESTORE, runCli } from "./support/cli.ts";
import { writeTreeCheckpoint } from "./support/tree_fixture.ts";

const PTY_RUN = join(REPO_ROOT, "tests", "support", "pty_run.py");

/** A copy of a corpus scenario's images; the task's folder exists (its cwd). */
function scenarioImages(name: string, edit?: (dir: string) => void): string {
  const dir = Deno.makeTempDirSync({ prefix: `fdrestore-${name}-` });
  for (const e of Deno.readDirSync(join(CORPUS, name, "images"))) {
    Deno.copyFileSync(join(CORPUS, name, "images", e.name), join(dir, e.name));
    Deno.chmodSync(join(dir, e.name), 0o644); // the corpus is read-only; edits must write
  }
  Deno.mkdirSync(`/tmp/criu-corpus/${name}`, { recursive: true });
  edit?.(dir);
  return dir;
}

/** The tty-shell-job task as a job that did not lead its session (a shell's child). */
function notSessionLeader(dir: string): void {
  const entries = readEntries(dir, "pstree") as unknown as Record<string, unknown>[];
  const tree = entries.map((t) => ({ ...t, sid: 1 }));
  Deno.writeFileSync(join(dir, "pstree.img"), encodeImage("PSTREE", tree));
}

async function onTerminal(
  steps: [string, string][],
  cmd: string[],
): Promise<{ ok: boolean; output: string; exit: number }> {
  const out = await new Deno.Command("/usr/bin/python3", {
    args: [PTY_RUN, JSON.stringify(steps), "--", ...cmd],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, text + new TextDecoder().decode(out.stderr));
  return JSON.parse(text);
}

Deno.test("a shell job restored on a terminal reads what is typed and dies of Ctrl-C", async () => {
  if (!haveCorpus("shell job on a terminal")) return;
  const dir = scenarioImages("tty-shell-job", notSessionLeader);
  try {
    const r = await onTerminal(
      [["wait", "37 101"], ["type", "typed line\n"], ["wait", "typed line"], ["type", "\x03"]],
      [
        FDRESTORE,
        "restore",
        "--shell-job",
        "-D",
        dir,
        "--",
        "/bin/sh",
        "-c",
        "stty size; exec cat",
      ],
    );
    assert.ok(r.ok, r.output);
    // -echo came from the images: the line was printed by cat, once.
    assert.equal(r.output.split("typed line").length - 1, 1, r.output);
    assert.equal(r.exit, 128 + 2, r.output); // cat died of SIGINT, and fdrestore says so
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("under a job-control shell a restored shell job stops on Ctrl-Z, resumes with fg and ends on Ctrl-C", async () => {
  if (!haveCorpus("shell job control")) return;
  const dir = scenarioImages("tty-shell-job", notSessionLeader);
  const restore = `${FDRESTORE} restore --shell-job -D ${dir} -- /bin/sh -c 'stty size; exec cat'`;
  try {
    const r = await onTerminal(
      [
        ["wait", "37 101"],
        ["type", "\x1a"],
        ["wait", "stopped=148"], // 128 + SIGTSTP: the shell got its prompt back
        ["type", "after fg\n"],
        ["wait", "after fg"],
        ["type", "\x03"],
        ["wait", "ended=130"],
      ],
      ["/bin/bash", "-mc", `${restore}; echo stopped=$?; fg; echo ended=$?`],
    );
    assert.ok(r.ok, r.output);
    assert.equal(r.exit, 0, r.output);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("--shell-job gives the terminal the dumped window size and erase key", async () => {
  if (!haveCorpus("shell job termios")) return;
  const dir = scenarioImages("tty-shell-job");
  try {
    const r = await onTerminal(
      [["wait", "done"]],
      [
        FDRESTORE,
        "restore",
        "--shell-job",
        "-D",
        dir,
        "--",
        "/bin/sh",
        "-c",
        "stty size; stty -a; echo done",
      ],
    );
    assert.ok(r.ok, r.output);
    assert.match(r.output, /^37 101\r$/m);
    assert.match(r.output, /erase = \^H;/);
    assert.match(r.output, / -echo /);
    assert.equal(r.exit, 0);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a task on a terminal outside the images is refused without --shell-job, with a hint", async () => {
  if (!haveCorpus("unpaired terminal")) return;
  const dir = scenarioImages("tty-shell-job");
  try {
    const r = await runCli(["restore", "-D", dir, "--", "/bin/true"]);
    assert.equal(r.code, 125, r.stderr);
    assert.match(
      r.stderr,
      /^fdrestore: error: fd 0 of task 31472: Found slave peer index 0 without correspond master peer: .*--shell-job.*--inherit-fd 'fd\[N\]:tty\[8800:1a\]'\n$/,
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a pty pair comes back with its controlling terminal and the bytes queued as criu writes them back", async () => {
  if (!haveCorpus("pty pair") || Deno.uid() !== 0) return;
  const dir = scenarioImages("pty-pair");
  const program = [
    "import os, fcntl, termios, struct",
    "print(os.read(3, 100).hex(), os.read(4, 100).hex())",
    "print(os.readlink('/proc/self/fd/8'), os.tcgetpgrp(8) == os.getpgrp(), os.getsid(0) == os.getpid())",
    "print(struct.unpack('HHHH', fcntl.ioctl(4, termios.TIOCGWINSZ, bytes(8)))[:2])",
  ].join("\n");
  try {
    const r = await runCli([
      "restore",
      "-D",
      dir,
      "--inherit-fd",
      "fd[1]:dev/null",
      "--",
      "/usr/bin/python3",
      "-c",
      program,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const [data, tty, size] = r.stdout.trim().split("\n");
    // The master (packet mode) reads a header byte, then the saved header byte
    // and the saved output that went through ONLCR again; the slave the complete line.
    assert.equal(data, "00006f7574707574206c696e650d0d0a 6c696e65206f6e650a");
    assert.equal(tty, "/dev/tty True True");
    assert.equal(size, "(50, 132)");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

function externalFileImages(dir: string, size: number): void {
  writeTreeCheckpoint(dir, [{ pid: 100, ppid: 0, fds: { 1: "out", 3: "ext" } }], {
    out: { null: "w" },
    ext: { null: "r" },
  });
  const entries = readEntries(dir, "files") as unknown as Record<string, unknown>[];
  const files = entries.map((f) => {
    if (Number(f.id) !== 101) return f;
    const reg = f.reg as Record<string, unknown>;
    // O_RDWR|O_APPEND, offset 5, dumped with --external file[1f:2a]
    const ext = { ...reg, name: "file[1f:2a]", ext: true, flags: 0o2002, pos: 5n };
    return { ...f, reg: { ...ext, size: BigInt(size), mode: 0o100644 } };
  });
  Deno.writeFileSync(join(dir, "files.img"), encodeImage("FILES", files));
}

Deno.test("an external file is reopened from --inherit-fd with the dumped flags and offset, after a size check", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "fdrestore-ext-" });
  const data = join(dir, "data.txt");
  Deno.writeTextFileSync(data, "0123456789");
  Deno.chmodSync(data, 0o644);
  const restore = (size: number, inherit: boolean) => {
    externalFileImages(dir, size);
    const arg = inherit ? `--inherit-fd 'fd[7]:file[1f:2a]' 7<${data}` : "";
    const show = "cat /proc/$$/fdinfo/3; readlink /proc/$$/fd/3";
    return new Deno.Command("/bin/sh", {
      args: [
        "-c",
        `exec "$0" restore -D ${dir} --inherit-fd 'fd[1]:dev/null' ${arg} -- /bin/sh -c '${show}'`,
        FDRESTORE,
      ],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
  };
  try {
    let out = await restore(10, true);
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.match(text, /^pos:\s+5$/m);
    assert.match(text, /^flags:\s+0102002$/m); // the image's O_RDWR|O_APPEND, not the caller's O_RDONLY
    assert.match(text, new RegExp(`^${data}$`, "m"));

    out = await restore(11, true);
    assert.equal(out.code, 125);
    assert.match(
      new TextDecoder().decode(out.stderr),
      /File file\[1f:2a\] has bad size 10 \(expect 11\)/,
    );

    out = await restore(10, false);
    assert.equal(out.code, 125);
    assert.match(
      new TextDecoder().decode(out.stderr),
      /File file\[1f:2a\] was dumped as external; pass it with --inherit-fd fd\[N\]:file\[1f:2a\]/,
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("show names masters, slaves, pty indexes, the controlling terminal and an outside terminal", async () => {
  if (!haveCorpus("show terminals")) return;
  const pair = await runCli(["show", "--json", "-D", join(CORPUS, "pty-pair", "images")]);
  const fds = JSON.parse(pair.stdout).tasks[0].fds as Record<string, unknown>[];
  const at = (n: number) => fds.find((f) => f.fd === n)!;
  assert.equal(
    at(3).what,
    "/dev/ptmx (pty master, index 0, packet mode, controlling terminal of session 31544, foreground group 31544)",
  );
  assert.equal(at(5).what, "/dev/ptmx (pty master, index 1, locked)");
  assert.deepEqual((at(4).details as Record<string, unknown>).tty, "pty-slave");
  assert.equal(at(8).inherit_key, "tty[500:6]");
  const job = await runCli(["show", "--json", "-D", join(CORPUS, "tty-shell-job", "images")]);
  const needs = JSON.parse(job.stdout).needs as Record<string, unknown>[];
  assert.deepEqual(needs.map((n) => [n.fd, n.inherit_arg]), [[
    0,
    "--inherit-fd 'fd[N]:tty[8800:1a]'",
  ]]);
});
