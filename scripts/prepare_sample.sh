#!/usr/bin/env bash
# prepare_sample.sh: recreate /tmp/fdrestore-sample/data as it was when the sample
# was dumped (the files its fds name; a restore checks their sizes).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
rm -rf /tmp/fdrestore-sample && mkdir -p /tmp/fdrestore-sample
tar -C /tmp/fdrestore-sample -xf "$repo/samples/sleeper/data.tar"
