#!/usr/bin/env bash
# test.sh: run the whole test suite (unit tests beside the code, end-to-end tests
# in tests/) and end with the line "N passed, N failed" that CI reads.
# Extra arguments go to `deno test` (e.g. a path or --filter). FDRESTORE_BIN
# runs the CLI-level tests against another executable (tests/support/cli.ts);
# with TEST_TALLY=FILE the counts are also appended to FILE ("passed failed"),
# so CI can add up several runs.
set -uo pipefail
cd "$(dirname "$0")/.."
deno=node_modules/@deno/linux-x64-glibc/deno
[ -x "$deno" ] || { echo "test: no Deno in node_modules; run 'npm ci' first" >&2; exit 2; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
[ $# -gt 0 ] || set -- src/ tests/
NO_COLOR=1 "$deno" test --allow-all "$@" 2>&1 | tee "$out"
status=${PIPESTATUS[0]}
# deno's summary line: "ok | 41 passed (3 steps) | 0 failed ..." (or FAILED | ...)
summary=$(grep -E '^(ok|FAILED) \| [0-9]+ passed' "$out" | tail -1)
passed=$(sed -E 's/^[A-Z a-z]*\| ([0-9]+) passed.*/\1/' <<<"$summary")
failed=$(sed -E 's/.*\| ([0-9]+) failed.*/\1/' <<<"$summary")
if [ -z "$summary" ]; then
  passed=0
  failed=1
fi
echo "${passed} passed, ${failed} failed"
[ -z "${TEST_TALLY:-}" ] || echo "${passed} ${failed}" >>"$TEST_TALLY"
exit "$status"
