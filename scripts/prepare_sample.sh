#!/usr/bin/env bash
# prepare_sample.sh: recreate /tmp/fdrestore-sample/data as it was when the sample
# was dumped (the files its fds name; a restore checks their sizes).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
if ! rm -rf /tmp/fdrestore-sample 2>/dev/null; then
  owner=$(stat -c %U /tmp/fdrestore-sample)
  echo "prepare_sample: /tmp/fdrestore-sample belongs to $owner (an earlier run); remove it as $owner" >&2
  exit 1
fi
mkdir -p /tmp/fdrestore-sample
tar -C /tmp/fdrestore-sample -xf "$repo/samples/sleeper/data.tar"
