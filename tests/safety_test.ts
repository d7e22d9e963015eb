/** What a root fdrestore must never offer or leave behind. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { FDRESTORE } from "./support/cli.ts";
import { REPO_ROOT } from "./support/corpus.ts";

const SAMPLE = join(REPO_ROOT, "samples", "sleeper", "images");

/** Listening TCP ports on this machine (IPv4 and IPv6), from /proc. */
function listeningPorts(): Set<number> {
  const ports = new Set<number>();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of Deno.readTextFileSync(file).split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 3 && f[3] === "0A") ports.add(parseInt(f[1].split(":")[1], 16));
    }
  }
  return ports;
}

function childOf(pid: number): number {
  return Number(Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`).trim().split(" ")[0]);
}

Deno.test("SIGUSR1 to a waiting fdrestore opens no inspector port and changes nothing", async () => {
  assert.ok(new Deno.Command(join(REPO_ROOT, "scripts", "prepare_sample.sh")).outputSync().success);
  assert.ok(!listeningPorts().has(9229), "something else listens on 9229 already");
  const proc = new Deno.Command(FDRESTORE, {
    args: ["restore", "-D", SAMPLE, "--", "/bin/sleep", "30"],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  try {
    // Past the moment (~500 ms) Deno installs its SIGUSR1 handler.
    await new Promise((r) => setTimeout(r, 1500));
    const program = childOf(proc.pid);
    assert.ok(program > 0);
    Deno.kill(proc.pid, "SIGUSR1");
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(!listeningPorts().has(9229), "fdrestore opened the inspector");
    // Both still there: fdrestore waits, the program runs.
    assert.equal(childOf(proc.pid), program);
  } finally {
    proc.kill("SIGTERM");
  }
  const out = await proc.output();
  assert.equal(out.code, 143, new TextDecoder().decode(out.stderr));
});
