/**
 * `show` names what a pidfd and a namespace fd of real criu images refer to
 * (zdtm `pidfd_kill`, `pidfd_dead`, `proc-self`; facts from their files.img).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "./support/cli.ts";
import { ZDTM_CORPUS } from "./support/zdtm.ts";

function have(scenario: string): boolean {
  try {
    return Deno.statSync(join(ZDTM_CORPUS, scenario, "images")).isDirectory;
  } catch {
    console.log(`skipped: show of ${scenario}: no zdtm corpus at ${ZDTM_CORPUS}`);
    return false;
  }
}

/** The FD, MODE, FLAGS and WHAT of fd `fd` in `show`'s table of `task`. */
async function showLine(scenario: string, task: number, fd: number): Promise<string> {
  const r = await runCli([
    "show",
    "--pid",
    String(task),
    "-D",
    join(ZDTM_CORPUS, scenario, "images"),
  ]);
  assert.equal(r.code, 0, r.stderr);
  const line = r.stdout.split("\n").find((l) => new RegExp(`^\\s+${fd} `).test(l));
  assert.ok(line, r.stdout);
  return line.trim().replace(/\s+/g, " ");
}

Deno.test("show names the task a pidfd refers to, and an ended process by its inode", async () => {
  if (!have("zdtm-pidfd_kill") || !have("zdtm-pidfd_dead")) return;
  // criu records the flags without O_RDWR: every pidfd is read-write.
  assert.equal(await showLine("zdtm-pidfd_kill", 12040, 3), "3 rw cloexec pidfd of task 12042");
  assert.equal(await showLine("zdtm-pidfd_kill", 12040, 6), "6 rw cloexec pidfd of task 12041");
  assert.equal(
    await showLine("zdtm-pidfd_dead", 11744, 5),
    "5 rw cloexec pidfd of an ended process (inode 141873)",
  );
  assert.equal(
    await showLine("zdtm-pidfd_dead", 11744, 6),
    "6 rw cloexec pidfd of an ended process (inode 141872)",
  );
});

Deno.test("show names a namespace fd's kind and id", async () => {
  if (!have("zdtm-proc-self")) return;
  assert.equal(await showLine("zdtm-proc-self", 15154, 4), "4 r - net namespace (ns id 2)");
});
