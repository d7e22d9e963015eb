#!/usr/bin/env bash
# dump_dnsmasq.sh WORK PORT: starts dnsmasq as a DNS server on 127.0.0.1:PORT
# (UDP and TCP) that answers only from its config: no upstream servers, no
# /etc/hosts, no resolv.conf (read or written), no DHCP; its pid file and log
# are in WORK. It keeps a netlink (NETLINK_ROUTE) socket bound to its pid
# and the address groups, to follow interface changes. Then dumps it with
# real criu into WORK/images (criu ends it). Prints its pid. Needs root,
# dnsmasq, gcc and criu. It runs as root and group root (`user=`, `group=`;
# Debian's default group is dip): criu reads the rlimits of what it dumps,
# which needs CAP_SYS_RESOURCE for a task of another user or group. It also
# writes WORK/netlink.before (see below) for the test.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
work=$1
port=$2
cat >"$work/dnsmasq.conf" <<CONF
port=$port
listen-address=127.0.0.1
bind-interfaces
no-resolv
no-hosts
no-poll
user=root
group=root
pid-file=$work/dnsmasq.pid
log-facility=$work/dnsmasq.log
host-record=restored.fdrestore.test,10.9.8.7
CONF
cd "$work"
setsid env -i PATH=/usr/sbin:/usr/bin:/bin /usr/sbin/dnsmasq --keep-in-foreground \
  --conf-file="$work/dnsmasq.conf" </dev/null >/dev/null 2>&1 &
pid=$!
disown "$pid" # criu ends it: no "Killed" line from this shell
hexport=$(printf '%04X' "$port")
for _ in $(seq 100); do
  grep -q "^ *[0-9]*: 0100007F:$hexport 00000000:0000 0A" /proc/net/tcp &&
    grep -q "started, version" "$work/dnsmasq.log" 2>/dev/null && break
  sleep 0.1
done
grep -q "started, version" "$work/dnsmasq.log" || {
  echo "dnsmasq ($pid) did not start on 127.0.0.1:$port" >&2
  kill -KILL "$pid" || true
  exit 1
}
# What the test compares the restored sockets with: "FD PROTOCOL PORTID GROUPS"
# of each netlink socket, as /proc/net/netlink shows them (by inode).
for link in /proc/"$pid"/fd/*; do
  target=$(readlink "$link") || continue
  case $target in
  socket:*)
    ino=${target#socket:[}
    awk -v i="${ino%]}" -v fd="${link##*/}" '$10 == i { print fd, $2, $3, $4 }' /proc/net/netlink
    ;;
  esac
done >"$work/netlink.before"
criu_dump "$pid" "$work/images"
echo "$pid"
