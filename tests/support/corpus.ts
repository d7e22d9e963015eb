/**
 * Where the shared CRIU corpus is, and a visible skip when it is absent.
 * The corpus sits in `../shared/criu-corpus` next to the repo (CI lays it
 * there too); FDRESTORE_CORPUS overrides.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("../../", import.meta.url));

export const CORPUS: string = Deno.env.get("FDRESTORE_CORPUS") ??
  join(REPO, "..", "shared", "criu-corpus");

/** True when the corpus is there; otherwise prints why a test is skipped. */
export function haveCorpus(what: string): boolean {
  try {
    if (Deno.statSync(join(CORPUS, "README.md")).isFile) return true;
  } catch {
    // fall through
  }
  console.log(`skipped: ${what}: no CRIU corpus at ${CORPUS}`);
  return false;
}

/** Scenario names (folders with images/ and scenario.json). */
export function scenarios(): string[] {
  const names: string[] = [];
  for (const e of Deno.readDirSync(CORPUS)) {
    if (!e.isDirectory) continue;
    try {
      Deno.statSync(join(CORPUS, e.name, "scenario.json"));
      names.push(e.name);
    } catch {
      // not a scenario
    }
  }
  return names.sort();
}

export interface FdId {
  file_id: number;
  type: string;
  inherit_key?: string;
}

export interface Scenario {
  name: string;
  tasks: { pid: number; ppid: number; pgid: number; sid: number; role: string }[];
  fd_ids: Record<string, FdId>;
  task: { argv: string[]; cwd: string; env: Record<string, string> };
}

export function readScenario(name: string): Scenario {
  return JSON.parse(Deno.readTextFileSync(join(CORPUS, name, "scenario.json")));
}

export function imagesOf(name: string): string {
  return join(CORPUS, name, "images");
}

export const REPO_ROOT: string = REPO;
