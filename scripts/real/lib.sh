# lib.sh: what the dump recipes of real programs share (sourced, not run).
# Needs root, gcc and criu (../shared/tools/install-criu puts it in /opt/criu4).
criu=${CRIU:-/opt/criu4/bin/criu}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Only stdio may reach the dumped program: an fd inherited from a caller (a
# test runner's flock, a CI pipe) would be dumped with it (criu refuses a
# held lock). 255 is bash's own script fd.
for fd in /proc/$$/fd/*; do
  fd=${fd##*/}
  if [ "$fd" -gt 2 ] && [ "$fd" -ne 255 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
done

# wait_http PORT: until http://127.0.0.1:PORT/ answers (at most ~10 s).
wait_http() {
  for _ in $(seq 100); do
    curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1/" && return 0
    sleep 0.1
  done
  echo "no HTTP answer on 127.0.0.1:$1" >&2
  return 1
}

# criu_dump PID DIR: dumps the tree of PID into DIR (criu kills it).
# - Inet sockets need passcred_shim.c on Linux >= 6.16; it is built once
#   into DIR/.. and preloaded.
# - CRIU_FAULT=130 is criu's switch for "no hardware breakpoints": criu then
#   catches the end of its parasite by stepping syscalls. On VMs whose debug
#   registers accept a breakpoint that never fires, criu 4.1.1 otherwise
#   waits forever after "Sent msg to daemon 3 0 0" (seen on 6.18.44-fc-v1272).
criu_dump() {
  local shim
  shim="$(dirname "$2")/passcred_shim.so"
  [ -f "$shim" ] || gcc -shared -fPIC -O2 -o "$shim" "$here/passcred_shim.c"
  mkdir -p "$2"
  if ! CRIU_FAULT=130 LD_PRELOAD="$shim" timeout 120 "$criu" dump -t "$1" -D "$2" \
    -o dump.log -v4; then
    tail -5 "$2/dump.log" >&2
    # criu let the tree run on: end it (by pid, children first).
    pkill -KILL -P "$1" || true
    kill -KILL "$1" || true
    return 1
  fi
}
