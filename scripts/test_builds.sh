#!/usr/bin/env bash
# test_builds.sh: prove that what we ship works. Runs the CLI-level tests (every
# tests/*_test.ts that goes through tests/support/cli.ts) and two corpus
# scenarios against
#   1. the bundle, copied alone into a temp dir and run as one file by a
#      launcher with fdrestore's permissions (no repo files, no node_modules);
#   2. the compiled binary, copied alone into a temp dir, when `deno task
#      compile` can get a denort; otherwise a visible "skipped: no denort" line.
# Each run ends with "N passed, N failed"; so does this script (their sum).
# TEST_TALLY=FILE adds the counts to FILE instead (CI sums its runs).
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
deno=$repo/node_modules/@deno/linux-x64-glibc/deno
[ -x "$deno" ] || { echo "test_builds: no Deno in node_modules; run 'npm ci' first" >&2; exit 2; }

own_tally=
if [ -z "${TEST_TALLY:-}" ]; then
  TEST_TALLY=$(mktemp)
  own_tally=$TEST_TALLY
fi
export TEST_TALLY
work=$(mktemp -d /tmp/fdrestore-builds.XXXXXX)
chmod 755 "$work" # tests also run the build as an ordinary user (nobody)
trap 'rm -rf "$work" ${own_tally:+"$own_tally"}' EXIT

mapfile -t cli_tests < <(grep -l 'support/cli\.ts' tests/*_test.ts | grep -v corpus_restore_test)
corpus_filter='/^restore of (pipes|tree-shared) equals/'
status=0

# run_against LABEL EXECUTABLE: the CLI tests, then the two corpus scenarios.
run_against() {
  echo "== CLI tests against $1: $2"
  FDRESTORE_BIN=$2 scripts/test.sh "${cli_tests[@]}" || status=1
  FDRESTORE_BIN=$2 scripts/test.sh --filter "$corpus_filter" tests/corpus_restore_test.ts ||
    status=1
}

# the permissions fdrestore needs, from the one place that lists them
perms=$("$deno" eval --no-config \
  'import { PERMISSIONS, V8_FLAGS } from "./src/restore/self_exec.ts"; console.log([...PERMISSIONS, ...V8_FLAGS].join(" "))')

echo "== deno task bundle"
if "$deno" task --quiet bundle; then
  mkdir -m 755 "$work/bundle"
  cp dist/fdrestore.js "$work/bundle/fdrestore.js"
  cat >"$work/bundle/fdrestore" <<EOF
#!/bin/sh
exec "$deno" run --quiet --no-config --no-lock --no-prompt $perms "$work/bundle/fdrestore.js" "\$@"
EOF
  chmod +x "$work/bundle/fdrestore"
  run_against "the bundle" "$work/bundle/fdrestore"
else
  echo "0 1" >>"$TEST_TALLY"
  status=1
fi

echo "== deno task compile"
"$deno" task --quiet compile 2>"$work/compile.err"
case $? in
  0)
    mkdir -m 755 "$work/binary"
    cp dist/fdrestore "$work/binary/fdrestore"
    run_against "the compiled binary" "$work/binary/fdrestore"
    ;;
  3)
    # compile's first line: "no denort 2.9.6 (DENORT_BIN unset, ...), so no executable:"
    echo "skipped: no denort ($(head -1 "$work/compile.err" | sed -E 's/^[^(]*\((.*)\).*/\1/'))"
    ;;
  *)
    cat "$work/compile.err" >&2
    echo "0 1" >>"$TEST_TALLY"
    status=1
    ;;
esac

if [ -n "$own_tally" ]; then
  awk '{ p += $1; f += $2 } END { printf "%d passed, %d failed\n", p, f }' "$TEST_TALLY"
fi
exit "$status"
