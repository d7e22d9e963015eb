import assert from "node:assert/strict";
import { EXIT, OutputError } from "../errors.ts";
import { ERRNO, setFaultInjector } from "../sys/mod.ts";
import { logFileSink, OutFile } from "./out_file.ts";

const encoder = new TextEncoder();

function withDir(fn: (dir: string) => void): () => void {
  return () => {
    const dir = Deno.makeTempDirSync({ prefix: "fdrestore-outfile-" });
    try {
      fn(dir);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  };
}

function names(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

function refused(fn: () => unknown, message: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof OutputError, String(e));
    assert.equal(e.exitCode, EXIT.OUTPUT);
    assert.equal(e.message, message);
    return true;
  });
}

Deno.test(
  "an output gets its name only at commit, under a hidden name with O_EXCL before",
  withDir((dir) => {
    const out = OutFile.create("--pidfile", `${dir}/app.pid`);
    out.write(encoder.encode("42\n"));
    const [tmp] = names(dir);
    assert.match(tmp, /^\.app\.pid\.[0-9a-f]{16}$/);
    out.commit();
    out.close();
    assert.deepEqual(names(dir), ["app.pid"]);
    assert.equal(Deno.readTextFileSync(`${dir}/app.pid`), "42\n");
    assert.equal(Deno.statSync(`${dir}/app.pid`).mode! & 0o777 & ~0o644, 0);
  }),
);

Deno.test(
  "a regular file of ours is replaced by a new one: a hard link to it keeps its text",
  withDir((dir) => {
    Deno.writeTextFileSync(`${dir}/victim`, "precious\n");
    Deno.linkSync(`${dir}/victim`, `${dir}/app.pid`); // planted as the old pid file
    const out = OutFile.create("--pidfile", `${dir}/app.pid`);
    out.write(encoder.encode("7\n"));
    out.commit();
    out.close();
    assert.equal(Deno.readTextFileSync(`${dir}/victim`), "precious\n");
    assert.equal(Deno.readTextFileSync(`${dir}/app.pid`), "7\n");
  }),
);

Deno.test(
  "a symlink at the name is refused and nothing is written through it",
  withDir((dir) => {
    Deno.writeTextFileSync(`${dir}/victim`, "precious\n");
    Deno.symlinkSync(`${dir}/victim`, `${dir}/app.pid`);
    refused(
      () => OutFile.create("--pidfile", `${dir}/app.pid`),
      `--pidfile ${dir}/app.pid: a symbolic link is there; refusing to replace it`,
    );
    assert.equal(Deno.readTextFileSync(`${dir}/victim`), "precious\n");
    assert.equal(Deno.readLinkSync(`${dir}/app.pid`), `${dir}/victim`);
    assert.deepEqual(names(dir), ["app.pid", "victim"]);
  }),
);

Deno.test(
  "a device, a FIFO or a folder at the name is refused",
  withDir((dir) => {
    if (Deno.uid() === 0) {
      // A node of our own: a regression must never replace the host's /dev/full.
      new Deno.Command("mknod", { args: [`${dir}/full`, "c", "1", "7"] }).outputSync();
      refused(
        () => OutFile.create("--pid-map", `${dir}/full`),
        `--pid-map ${dir}/full: a character device is there; refusing to replace it`,
      );
      assert.ok(Deno.statSync(`${dir}/full`).isCharDevice);
      Deno.removeSync(`${dir}/full`);
    }
    new Deno.Command("mkfifo", { args: [`${dir}/fifo`] }).outputSync();
    refused(
      () => OutFile.create("-o", `${dir}/fifo`),
      `-o ${dir}/fifo: a FIFO is there; refusing to replace it`,
    );
    Deno.mkdirSync(`${dir}/sub`);
    refused(
      () => OutFile.create("-o", `${dir}/sub`),
      `-o ${dir}/sub: a folder is there; refusing to replace it`,
    );
    refused(
      () => OutFile.create("-o", `${dir}/sub/`),
      `-o ${dir}/sub/: names a folder, not a file`,
    );
    assert.deepEqual(names(dir), ["fifo", "sub"]);
  }),
);

Deno.test(
  "a file of another user at the name is refused",
  withDir((dir) => {
    if (Deno.uid() !== 0) return void console.log("skipped: needs root (chown)");
    Deno.writeTextFileSync(`${dir}/app.pid`, "1\n");
    Deno.chownSync(`${dir}/app.pid`, 65534, 65534);
    refused(
      () => OutFile.create("--pidfile", `${dir}/app.pid`),
      `--pidfile ${dir}/app.pid: a file of uid 65534 is there, not ours (uid 0); ` +
        "refusing to replace it",
    );
    assert.equal(Deno.readTextFileSync(`${dir}/app.pid`), "1\n");
  }),
);

Deno.test(
  "a missing folder fails with one line naming the option and the folder",
  withDir((dir) => {
    refused(
      () => OutFile.create("--log-file", `${dir}/no/restore.log`),
      `--log-file ${dir}/no/restore.log: cannot open its folder ${dir}/no: ` +
        "ENOENT (No such file or directory)",
    );
    assert.deepEqual(names(dir), []);
  }),
);

Deno.test(
  "discard removes what this run made, before or after commit, and nothing else",
  withDir((dir) => {
    const a = OutFile.create("--pidfile", `${dir}/a.pid`);
    a.discard();
    assert.deepEqual(names(dir), []);
    const b = OutFile.create("--pidfile", `${dir}/b.pid`);
    b.commit();
    b.discard();
    assert.deepEqual(names(dir), []);
    // Replaced by someone else after the commit: theirs stays.
    const c = OutFile.create("--pidfile", `${dir}/c.pid`);
    c.commit();
    Deno.removeSync(`${dir}/c.pid`);
    Deno.writeTextFileSync(`${dir}/c.pid`, "theirs\n");
    c.discard();
    assert.equal(Deno.readTextFileSync(`${dir}/c.pid`), "theirs\n");
  }),
);

Deno.test(
  "the log file is named at once, and a failed write sends the rest to the fallback",
  withDir((dir) => {
    const lines: string[] = [];
    const sink = logFileSink(`${dir}/restore.log`, (l) => void lines.push(l));
    assert.deepEqual(names(dir), ["restore.log"]);
    sink("one\n");
    assert.equal(Deno.readTextFileSync(`${dir}/restore.log`), "one\n");
    assert.deepEqual(lines, []);
    setFaultInjector((call) => call === "write" ? ERRNO.ENOSPC : undefined);
    try {
      sink("two\n");
    } finally {
      setFaultInjector(null);
    }
    sink("three\n");
    assert.deepEqual(lines, [
      `fdrestore: --log-file ${dir}/restore.log: cannot write: ENOSPC (No space left on device); ` +
      "the log goes to stderr from here\n",
      "two\n",
      "three\n",
    ]);
    assert.equal(Deno.readTextFileSync(`${dir}/restore.log`), "one\n");
  }),
);
