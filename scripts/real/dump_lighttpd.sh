#!/usr/bin/env bash
# dump_lighttpd.sh WORK PORT: starts lighttpd serving WORK/www on
# 127.0.0.1:PORT (it binds the port itself; its config also enables systemd
# socket activation, used only when it is started with LISTEN_FDS), then
# dumps it with real criu into WORK/images (criu ends it). It writes its
# access log to WORK/access.log and its errors to its stderr, WORK/error.log
# (its stdin and stdout it points at /dev/null itself). Prints its pid.
# Needs root, lighttpd, curl, gcc and criu.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
work=$1
port=$2
mkdir -p "$work/www"
echo "hello from lighttpd" >"$work/www/index.html"
cat >"$work/lighttpd.conf" <<CONF
server.document-root = "$work/www"
server.bind = "127.0.0.1"
server.port = $port
server.systemd-socket-activation = "enable"
server.modules = ("mod_accesslog")
accesslog.filename = "$work/access.log"
index-file.names = ("index.html")
CONF
cd "$work"
setsid env -i PATH=/usr/sbin:/usr/bin:/bin /usr/sbin/lighttpd -D -f "$work/lighttpd.conf" \
  </dev/null >>"$work/access.log" 2>>"$work/error.log" &
pid=$!
disown "$pid" # criu ends it: no "Killed" line from this shell
wait_http "$port"
criu_dump "$pid" "$work/images"
echo "$pid"
