import assert from "node:assert/strict";
import { parseArgs } from "node:util";
import { tokenize, type TokenOptions } from "./argv_tokens.ts";

const OPTIONS: TokenOptions = {
  "images-dir": { type: "string", short: "D" },
  "log-file": { type: "string", short: "o" },
  "inherit-fd": { type: "string" },
  verbosity: { type: "string" },
  verbose: { type: "boolean", short: "v" },
  "restore-detached": { type: "boolean", short: "d" },
  json: { type: "boolean" },
};

const CASES: string[][] = [
  [],
  ["-D", "dir"],
  ["-Ddir", "--json"],
  ["--images-dir", "--json"],
  ["--images-dir=x=y", "--json=1", "--json="],
  ["-dvDx", "-vd", "-dv", "-vofile"],
  ["-D"],
  ["--images-dir"],
  ["-", "--", "-x", "--y", "--"],
  ["--inherit-fd", "fd[1]:a", "--inherit-fd=debug[2]:b", "-x", "-xyz", "--unknown", "--unknown=1"],
  ["-o", "-v", "--verbosity", "4", "pos", "-D", "-"],
  ["---x", "--=x", "-=", "-D=", "-vD", "-vdx"],
];

Deno.test("tokenize gives the tokens node:util parseArgs gives", () => {
  for (const args of CASES) {
    const { tokens } = parseArgs({
      args,
      options: OPTIONS,
      strict: false,
      allowPositionals: true,
      tokens: true,
    });
    assert.deepEqual(tokenize(args, OPTIONS), tokens, JSON.stringify(args));
  }
});
