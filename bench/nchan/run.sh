#!/usr/bin/env bash
# Nchan peer of the load tool: starts redis-server and nginx+nchan (Redis or memory storage) on loopback ports,
# runs the load tool with --target nchan and the given arguments, and stops everything it started.
#   bench/nchan/run.sh redis|memory -- <load tool args without --target/--url/--server-pid>
# Installs nginx-light and libnginx-mod-nchan (Debian 12) when missing. Nothing it fetches lands in the repo.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
storage="${1:?redis|memory}"; shift
[ "${1:-}" = "--" ] && shift

if [ ! -f /usr/lib/nginx/modules/ngx_nchan_module.so ]; then
  SUDO=""; [ "$(id -u)" != "0" ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nginx-light libnginx-mod-nchan >/dev/null
  # The package starts the system nginx on port 80; the benchmark does not need it.
  $SUDO systemctl stop nginx 2>/dev/null || $SUDO service nginx stop 2>/dev/null || true
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
dir="$(mktemp -d /tmp/nchan-bench.XXXXXX)"
port="${NCHAN_PORT:-$(free_port)}"
redis_port="${NCHAN_REDIS_PORT:-$(free_port)}"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT

redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no --dir "$dir" >"$dir/redis.log" 2>&1 &
pids+=($!)

storage_line=""; url_line=""
if [ "$storage" = "redis" ]; then
  storage_line="nchan_use_redis on;"; url_line="nchan_redis_url \"redis://127.0.0.1:$redis_port\";"
fi
sed -e "s|@DIR@|$dir|g" -e "s|@PORT@|$port|g" -e "s|@REDIS_URL@|$url_line|g" -e "s|@STORAGE@|$storage_line|g" \
  "$here/nginx.conf.template" >"$dir/nginx.conf"
ulimit -n 20000 2>/dev/null || true
nginx -c "$dir/nginx.conf" -p "$dir" &
pids+=($!)
for _ in $(seq 100); do
  (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break
  sleep 0.1
done
# With Redis storage Nchan answers 503 until its Redis connection is up: wait for the publisher to answer otherwise.
for _ in $(seq 100); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/pub?id=readiness-probe" || true)
  [ "$code" != "503" ] && [ "$code" != "000" ] && break
  sleep 0.1
done
sleep 0.5
master=$(cat "$dir/nginx.pid")
workers=$(pgrep -P "$master" | paste -sd, -)

dotnet "${LOADTEST_DLL:-$here/../NotificationHub.LoadTest/bin/Release/net10.0/NotificationHub.LoadTest.dll}" \
  --target nchan --url "http://127.0.0.1:$port" --server-pid "$workers" "$@" || status=$?
exit "${status:-0}"
