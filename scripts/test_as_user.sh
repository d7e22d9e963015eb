#!/usr/bin/env bash
# test_as_user.sh [USER]: as root, run `npm run demo` and the whole suite once
# more as an ordinary user (default fdtest, created with useradd if missing):
# the README says root is not required. The user gets a copy of this tree (with
# node_modules) and of ../shared/criu-corpus in a fresh folder of its own, which
# is its HOME, TMPDIR and Deno cache, so it reads nothing it cannot and writes
# nowhere else. Tests that need root print "skipped: ...: needs root".
# Ends with "N passed, N failed" (the demo counts as one test); with
# TEST_TALLY=FILE the counts are also appended to FILE, as scripts/test.sh does.
set -uo pipefail
cd "$(dirname "$0")/.."
user=${1:-fdtest}
[ "$(id -u)" = 0 ] || { echo "test_as_user: run as root (it switches to $user)" >&2; exit 2; }
command -v setpriv >/dev/null || { echo "test_as_user: no setpriv (util-linux)" >&2; exit 2; }
id -u "$user" >/dev/null 2>&1 || useradd --system --user-group --no-create-home "$user" || exit 2

home=$(mktemp -d /tmp/fdrestore-as-user.XXXXXX)
trap 'rm -rf "$home"' EXIT
mkdir "$home/repo" "$home/shared" "$home/tmp" "$home/deno"
tar --exclude=./.git -cf - . | tar -xf - -C "$home/repo"
[ ! -d ../shared/criu-corpus ] || cp -a ../shared/criu-corpus "$home/shared/"
chown -R "$user:" "$home"
# The sample's images name /tmp/fdrestore-sample: a root run's copy is in the way.
rm -rf /tmp/fdrestore-sample

as_user() {
  (cd "$home/repo" && setpriv --reuid="$user" --regid="$user" --init-groups \
    env -i PATH="$PATH" HOME="$home" TMPDIR="$home/tmp" DENO_DIR="$home/deno" LANG=C.UTF-8 \
    TEST_TALLY="$home/tally" "$@")
}
status=0
echo "== as $user: npm run demo"
if as_user npm run demo; then demo="1 0"; else demo="0 1" status=1; fi
echo "== as $user: scripts/test.sh"
as_user scripts/test.sh || status=1
tally=$(cat "$home/tally" 2>/dev/null || echo "0 1")
read -r passed failed <<<"$(echo "$demo" "$tally" | awk '{ print $1 + $3, $2 + $4 }')"
echo "as $user: ${passed} passed, ${failed} failed"
[ -z "${TEST_TALLY:-}" ] || echo "${passed} ${failed}" >>"$TEST_TALLY"
exit "$status"
