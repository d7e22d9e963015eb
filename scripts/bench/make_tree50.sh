#!/usr/bin/env bash
# make_tree50.sh DIR [CRIU]: build scripts/bench/tree50.c, run it (50 tasks with
# 100 fds each) and dump it with real criu into DIR. Needs root and criu.
set -euo pipefail
out=$1
criu=${2:-${CRIU:-/opt/criu4/bin/criu}}
here=$(cd "$(dirname "$0")" && pwd)
# The binary stays where it ran: criu restore checks the executable's file.
work=/tmp/fdrestore-tree50
rm -rf "$work" && mkdir -p "$work"
gcc -static -O2 -o "$work/tree50" "$here/tree50.c"
ready=$work/ready && mkfifo "$ready"
trap 'rm -f "$ready"' EXIT
(cd / && exec setsid "$work/tree50" 500>"$ready" </dev/null >/dev/null 2>&1) &
pid=$(cat "$ready")
mkdir -p "$out"
# CRIU_FAULT=130: without it every criu dump hangs on this VM's kernel (scripts/real/lib.sh).
CRIU_FAULT=130 "$criu" dump -t "$pid" -D "$out" -o dump.log -v0 || { kill -9 -- "-$pid" 2>/dev/null; exit 1; }
