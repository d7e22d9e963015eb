#!/usr/bin/env bash
# dump_nginx.sh WORK PORT: starts nginx (a master and 2 workers) serving
# 127.0.0.1:PORT, with its config, pid file and temp folders in WORK, then
# dumps it with real criu into WORK/images (criu ends it). Its stdout is
# WORK/access.log (the access log), its stderr WORK/error.log (the error
# log). Prints the master's pid. Restore it as README "Bringing a service
# back" shows. Needs root, nginx (Debian nginx-light), curl, gcc and criu.
# Workers run as root too: criu reads every task's rlimits (prlimit), which
# needs CAP_SYS_RESOURCE for another user's task.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
work=$1
port=$2
mkdir -p "$work/tmp"
cat >"$work/nginx.conf" <<CONF
daemon off;
master_process on;
worker_processes 2;
user root;
pid $work/nginx.pid;
error_log stderr notice;
events { worker_connections 64; }
http {
  access_log /dev/stdout;
  client_body_temp_path $work/tmp/body;
  proxy_temp_path $work/tmp/proxy;
  fastcgi_temp_path $work/tmp/fastcgi;
  uwsgi_temp_path $work/tmp/uwsgi;
  scgi_temp_path $work/tmp/scgi;
  server {
    listen 127.0.0.1:$port;
    location / { return 200 "hello from nginx\n"; }
  }
}
CONF
cd "$work"
# Its own session: criu dumps a tree whose session leader is in it.
setsid env -i PATH=/usr/sbin:/usr/bin:/bin /usr/sbin/nginx -e stderr -p "$work" \
  -c "$work/nginx.conf" </dev/null >>"$work/access.log" 2>>"$work/error.log" &
pid=$!
disown "$pid" # criu ends it: no "Killed" line from this shell
wait_http "$port"
criu_dump "$pid" "$work/images"
echo "$pid"
