import assert from "node:assert/strict";
import {
  externalFileKey,
  fifoKey,
  makeDev,
  memfdKey,
  pipeKey,
  regFileKey,
  socketKey,
  ttyKey,
} from "./keys.ts";
import { DESCRIPTORS } from "../fdtypes/mod.ts";
import { fdTypeName } from "../model/mod.ts";

const CORPUS = new URL("../../../shared/criu-corpus/", import.meta.url);

Deno.test("pipeKey prints the pipe id as unsigned decimal", () => {
  assert.equal(pipeKey(153122), "pipe:[153122]");
  assert.equal(pipeKey(2 ** 31), "pipe:[2147483648]");
  assert.equal(pipeKey(-1), "pipe:[4294967295]");
  assert.equal(pipeKey(4294967295n), "pipe:[4294967295]");
});

Deno.test("socketKey prints the inode as unsigned decimal", () => {
  assert.equal(socketKey(190196), "socket:[190196]");
  assert.equal(socketKey(-2), "socket:[4294967294]");
});

Deno.test("regFileKey drops the first character and turns / into .", () => {
  assert.equal(regFileKey("/tmp/x"), "tmp/x");
  assert.equal(regFileKey("/"), ".");
  assert.equal(regFileKey("/a:b c"), "a:b c");
  assert.equal(regFileKey("file[2a:1f]", true), "file[2a:1f]");
  assert.equal(fifoKey("/tmp/fifo"), "tmp/fifo");
});

Deno.test("externalFileKey matches criu's file[%x:%lx]", () => {
  assert.equal(externalFileKey(42, 31n), "file[2a:1f]");
  assert.equal(externalFileKey(1234, 2n ** 40n), "file[4d2:10000000000]");
});

Deno.test("ttyKey prints rdev and dev in hex", () => {
  assert.equal(ttyKey(34816, 26), "tty[8800:1a]");
  assert.equal(ttyKey(makeDev(136, 0), makeDev(0, 26)), "tty[8800:1a]");
  assert.equal(ttyKey(makeDev(5, 2), 6), "tty[502:6]");
});

Deno.test("makeDev encodes large minors like glibc", () => {
  assert.equal(makeDev(136, 300), 0x10882cn);
  assert.equal(makeDev(0x1234, 0), 0x100000023400n);
});

Deno.test("memfdKey keeps the leading slash", () => {
  assert.equal(memfdKey("corpus-sealed"), "/memfd:corpus-sealed");
});

// ---- ground truth: every fd_ids key of every corpus scenario ----

type Json = Record<string, unknown>;

function readJson(path: URL): Json {
  return JSON.parse(Deno.readTextFileSync(path)) as Json;
}

const cache = new Map<string, Json[]>();

function entries(scenario: string, image: string): Json[] {
  const id = `${scenario}/${image}`;
  if (!cache.has(id)) cache.set(id, readEntries(scenario, image));
  return cache.get(id) as Json[];
}

function readEntries(scenario: string, image: string): Json[] {
  const url = new URL(`${scenario}/decoded/${image}.img.json`, CORPUS);
  try {
    return readJson(url).entries as Json[];
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
}

function corpusScenarios(): string[] {
  try {
    return [...Deno.readDirSync(CORPUS)]
      .filter((d) => d.isDirectory)
      .map((d) => d.name)
      .filter((name) => {
        try {
          return Deno.statSync(new URL(`${name}/scenario.json`, CORPUS)).isFile;
        } catch {
          return false;
        }
      })
      .sort();
  } catch {
    return [];
  }
}

const fileMaps = new Map<string, Map<number, Json>>();

function fileMap(scenario: string): Map<number, Json> {
  if (!fileMaps.has(scenario)) {
    fileMaps.set(scenario, new Map(entries(scenario, "files").map((e) => [e.id as number, e])));
  }
  return fileMaps.get(scenario) as Map<number, Json>;
}

/** The key computed with our functions from the decoded images, or null for keyless types. */
function keyFor(scenario: string, fileId: number): string | null {
  const files = fileMap(scenario);
  const file = files.get(fileId);
  assert.ok(file, `${scenario}: file id ${fileId} not in files.img`);
  const reg = (id: number) => {
    const r = files.get(id)?.reg as Json;
    return regFileKey(r.name as string, r.ext === true);
  };
  switch (file.type) {
    case "REG":
      return reg(fileId);
    case "FIFO": {
      const fifo = file.fifo as Json;
      return reg((fifo.regf_id as number | undefined) ?? fileId);
    }
    case "PIPE":
      return pipeKey((file.pipe as Json).pipe_id as number);
    case "UNIXSK":
      return socketKey((file.usk as Json).ino as number);
    case "TTY": {
      const infoId = (file.tty as Json).tty_info_id as number;
      const info = entries(scenario, "tty-info").find((e) => e.id === infoId);
      assert.ok(info, `${scenario}: tty_info ${infoId} missing`);
      return ttyKey(info.rdev as number, info.dev as number);
    }
    case "MEMFD": {
      const inodeId = (file.memfd as Json).inode_id as number;
      const inode = entries(scenario, "memfd").find((e) => e.inode_id === inodeId);
      assert.ok(inode, `${scenario}: memfd inode ${inodeId} missing`);
      return memfdKey(inode.name as string);
    }
    default:
      return null;
  }
}

const scenarios = corpusScenarios();
if (scenarios.length === 0) {
  // visible in the summary as "ignored", with the reason in its name
  Deno.test({
    name: `keys equal criu's fd_ids in the corpus (no corpus at ${CORPUS.pathname})`,
    ignore: true,
    fn() {},
  });
}

for (const scenario of scenarios) {
  Deno.test(`keys equal criu's fd_ids in corpus scenario ${scenario}`, () => {
    const sc = readJson(new URL(`${scenario}/scenario.json`, CORPUS));
    const fdIds = sc.fd_ids as Record<
      string,
      { file_id: number; type: string; inherit_key: string | null }
    >;
    const want: Record<string, string | null> = {};
    const got: Record<string, string | null> = {};
    for (const [where, id] of Object.entries(fdIds)) {
      want[where] = id.inherit_key;
      got[where] = keyFor(scenario, id.file_id);
      // The types whose descriptor has a key are exactly those criu gives one.
      const type = Object.values(DESCRIPTORS).find((d) => fdTypeName(d.type) === id.type);
      assert.ok(type, `${scenario} ${where}: no descriptor for ${id.type}`);
      assert.equal(
        type.inheritKey !== undefined,
        id.inherit_key !== null,
        `${scenario} ${where}: type ${id.type}`,
      );
    }
    assert.ok(Object.keys(want).length > 0);
    assert.deepEqual(got, want);
  });
}
