#!/bin/sh
# archive_restorer.sh IMAGES LAYOUT COMMAND...: a restorer for corpus-check that
# packs IMAGES into a container checkpoint archive first, then runs COMMAND
# with its word ARCHIVE replaced by the archive's path. LAYOUT:
#   podman.tar.gz  images under checkpoint/, config.dump, spec.dump, stats-dump
#                  beside them (podman container checkpoint --export)
#   podman.tar.zst the same, zstd
#   crio.tar       the same under ./, with bind.mounts (CRI-O/kubelet)
# The archive is removed when COMMAND returns (the tests restore with -d).
set -eu
images=$1 layout=$2
shift 2
work=$(mktemp -d /tmp/fdrestore-archive-XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/layout" "$work/layout/checkpoint"
cp -p "$images"/*.img "$work/layout/checkpoint/"
[ -e "$images/stats-dump" ] && cp -p "$images/stats-dump" "$work/layout/"
printf '{"id":"5ca1ab1e","name":"corpus","runtime":"crun"}' >"$work/layout/config.dump"
archive="$work/$layout"
case $layout in
podman.tar.gz)
  printf '{"annotations":{"io.container.manager":"libpod"}}' >"$work/layout/spec.dump"
  tar -C "$work/layout" -czf "$archive" checkpoint config.dump spec.dump \
    $([ -e "$work/layout/stats-dump" ] && echo stats-dump)
  ;;
podman.tar.zst)
  printf '{"annotations":{"io.container.manager":"libpod"}}' >"$work/layout/spec.dump"
  tar -C "$work/layout" --zstd -cf "$archive" checkpoint config.dump spec.dump \
    $([ -e "$work/layout/stats-dump" ] && echo stats-dump)
  ;;
crio.tar)
  printf '{"annotations":{"io.kubernetes.cri-o.ContainerName":"corpus"}}' \
    >"$work/layout/spec.dump"
  printf '[]' >"$work/layout/bind.mounts"
  tar -C "$work/layout" -cf "$archive" .
  ;;
*)
  echo "archive_restorer.sh: unknown layout $layout" >&2
  exit 2
  ;;
esac
for a; do
  shift
  if [ "$a" = ARCHIVE ]; then set -- "$@" "$archive"; else set -- "$@" "$a"; fi
done
code=0
"$@" || code=$?
exit $code
