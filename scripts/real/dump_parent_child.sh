#!/usr/bin/env bash
# dump_parent_child.sh WORK PORT: builds parent_child.c in WORK, runs it (its
# stdout and stderr WORK/out.log), and dumps the pair with real criu into
# WORK/images (criu ends it). PORT is unused (the recipes share one shape).
# Prints the parent's pid. Needs root, gcc and criu.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
work=$1
gcc -O2 -Wall -o "$work/parent_child" "$here/parent_child.c"
echo "only the child opens this" >"$work/child-only.txt"
cd "$work"
setsid env -i PATH=/usr/bin:/bin ./parent_child </dev/null >>"$work/out.log" 2>&1 &
pid=$!
disown "$pid" # criu ends it: no "Killed" line from this shell
for _ in $(seq 100); do grep -q ready "$work/out.log" && break; sleep 0.1; done
criu_dump "$pid" "$work/images"
echo "$pid"
