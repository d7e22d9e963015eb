#!/usr/bin/env bash
# dump_sqlite.sh WORK: a real sqlite3 shell inside an open write transaction,
# dumped by real criu with --file-locks into WORK/images (criu ends it).
# Prints its pid. Needs root, sqlite3 and criu (../shared/tools/install-criu).
#
# The shell runs in WORK on shop.db (two rows) and reads its commands from
# the FIFO WORK/cmds.fifo; it is left inside `BEGIN EXCLUSIVE; INSERT ...`:
# the database and its rollback journal are open (SQLite opens both with
# O_NOFOLLOW) and it holds its POSIX locks on the database. After the dump the
# journal is hot: whoever opens the database next rolls the INSERT back.
set -euo pipefail
criu=${CRIU:-/opt/criu4/bin/criu}
work=$1
# Only stdio may reach the dumped program: an fd inherited from a caller (a
# test runner's flock, a CI pipe) would be dumped with it. 255 is bash's own.
for fd in /proc/$$/fd/*; do
  fd=${fd##*/}
  if [ "$fd" -gt 2 ] && [ "$fd" -ne 255 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
done
cd "$work"
umask 022
sqlite3 shop.db "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT);
INSERT INTO items VALUES (1, 'apple'), (2, 'pear');"
mkfifo cmds.fifo
setsid env -i PATH=/usr/bin:/bin HOME=/nonexistent sqlite3 shop.db <cmds.fifo >/dev/null 2>&1 &
pid=$!
disown "$pid" # criu ends it: no "Killed" line from this shell
exec 7>cmds.fifo
printf "BEGIN EXCLUSIVE;\nINSERT INTO items VALUES (3, 'plum');\n" >&7
for _ in $(seq 100); do
  grep -q "POSIX .* WRITE $pid " /proc/locks && [ -s shop.db-journal ] && break
  sleep 0.05
done
if ! grep -q "POSIX .* WRITE $pid " /proc/locks; then
  echo "dump_sqlite: sqlite3 ($pid) took no write lock" >&2
  kill -KILL "$pid"
  exit 1
fi
mkdir -p images
# CRIU_FAULT=130: criu's "no hardware breakpoints" switch (it steps syscalls
# instead): on VMs whose breakpoints never fire criu 4.1.1 otherwise waits
# forever after "Sent msg to daemon 3 0 0".
if ! CRIU_FAULT=130 timeout 120 "$criu" dump -t "$pid" -D images -o dump.log -v4 --file-locks; then
  tail -5 images/dump.log >&2
  kill -KILL "$pid" || true
  exit 1
fi
exec 7>&-
echo "$pid"
