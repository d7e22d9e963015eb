#!/usr/bin/env bash
# demo.sh: what `npm run demo` does. Shows the sample checkpoint, then restores
# it with a small bash program in place of the sample's own binary: the program
# reads the restored fds (file offset, queued pipe and socket bytes) and lists
# its fd table. Its stdout/stderr (a log file in the dump) are swapped for this
# terminal with --inherit-fd, exactly as one would with criu. FDRESTORE_BIN
# names another fdrestore to run (the bundle or the compiled binary).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
fdrestore=${FDRESTORE_BIN:-$repo/scripts/fdrestore-dev}
images=$repo/samples/sleeper/images

"$repo/scripts/prepare_sample.sh"
echo "== fdrestore show -D samples/sleeper/images"
"$fdrestore" show -D "$images"
echo
echo "== fdrestore restore -D samples/sleeper/images --inherit-fd 'fd[1]:tmp/fdrestore-sample/data/out.log' -- bash -c ..."
# shellcheck disable=SC2016 # the program expands its own variables
"$fdrestore" restore -D "$images" --inherit-fd 'fd[1]:tmp/fdrestore-sample/data/out.log' -- /bin/bash -c '
  echo "restored as pid $$, in $(pwd)"
  echo "fd 3, notes.txt from offset 6: $(head -c 15 <&3)..."
  echo "fd 4, bytes queued in the pipe: $(head -c 13 <&4)"
  echo "fd 10, bytes queued in the socket: $(head -c 11 <&10)"
  echo "the fd table:"
  for n in $(ls /proc/$$/fd | sort -n); do printf "  %3s -> %s\n" "$n" "$(readlink /proc/$$/fd/$n)"; done
'
