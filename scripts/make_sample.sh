#!/usr/bin/env bash
# make_sample.sh: rebuild the sample checkpoint in samples/sleeper/images.
#
# Compiles samples/sleeper/sleeper.c, runs it in /tmp/fdrestore-sample (a new
# session, stdin /dev/null), waits until it is ready, and dumps it with real
# criu (../shared/tools/install-criu puts one in /opt/criu4). The task's data
# folder is archived as samples/sleeper/data.tar so a restore can recreate it.
# Needs root, gcc with a static libc, and criu. Usage: scripts/make_sample.sh [CRIU]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
criu=${1:-${CRIU:-/opt/criu4/bin/criu}}
work=/tmp/fdrestore-sample
out=$repo/samples/sleeper

rm -rf "$work" && mkdir -p "$work/data"
printf 'notes: the restored task reads from offset 6\n' >"$work/data/notes.txt"
gcc -static -O2 -Wall -o "$work/sleeper" "$out/sleeper.c"

# fd 9 is the ready pipe: the task writes its pid there and closes it once
# its fds are set up (setsid may fork, so $! is not the task's pid).
ready=$(mktemp -u) && mkfifo "$ready"
(cd "$work" && exec setsid env -i PATH=/usr/bin:/bin HOME=/nonexistent ./sleeper 9>"$ready" </dev/null >/dev/null 2>&1) &
pid=$(cat "$ready")
rm -f "$ready"
[[ $pid =~ ^[0-9]+$ ]] || { echo "make_sample: the sample task did not start" >&2; exit 1; }

rm -rf "$out/images" && mkdir -p "$out/images"
"$criu" dump -t "$pid" -D "$out/images" -o dump.log -v4 || {
  tail -20 "$out/images/dump.log" >&2
  kill -9 "$pid"
  exit 1
}
rm -f "$out/images/dump.log" "$out/images/stats-dump"
tar -C "$work" -cf "$out/data.tar" data
echo "make_sample: dumped pid $pid into ${out#"$repo"/}/images"
