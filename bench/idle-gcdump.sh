#!/usr/bin/env bash
# The idle scenario's 10,000 SSE streams on our server (Redis bus, the image's environment), with a heap dump of the
# server taken while they are held; then the live heap grouped by owner, bytes per connection (bench/gcdump-owners.py).
#   GCDUMP=/tmp/tools/dotnet-gcdump bench/idle-gcdump.sh SERVER_DIR LABEL   # SERVER_DIR: a published server
# dotnet-gcdump: dotnet tool install --tool-path /tmp/tools dotnet-gcdump. Files go to /tmp/idle-gcdump/LABEL.*;
# the load tool's run is bounded (--max-seconds), loopback only, and stops the server it started.
set -euo pipefail
server_dir="$1"; label="$2"
gcdump="${GCDUMP:-dotnet-gcdump}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out=/tmp/idle-gcdump; mkdir -p "$out"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
redis_port="$(free_port)"; redis_dir="$(mktemp -d /tmp/idle-gcdump-redis.XXXXXX)"
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$redis_dir" >"$redis_dir/log" 2>&1 &
redis_pid=$!
trap 'kill $redis_pid 2>/dev/null || true; rm -rf "$redis_dir"' EXIT
sleep 0.5
port="$(free_port)"
# The idle scenario of run-benchmarks.sh with a 60-s settle: time to dump the server while every stream is held.
dotnet bench/NotificationHub.LoadTest/bin/Release/net10.0/NotificationHub.LoadTest.dll --label "idle-gcdump/$label" \
  --url "http://127.0.0.1:$port" --server-dll "$server_dir/NotificationHub.Server.dll" \
  --server-env DOTNET_GCgen0size=0x400000 --server-env DOTNET_SYSTEM_BUFFERS_SHAREDARRAYPOOL_MAXARRAYSPERPARTITION=1024 \
  --server-redis "127.0.0.1:$redis_port" --redis "127.0.0.1:$redis_port" \
  --sse 10000 --boms 1000 --events 1 --warmup 1 --settle 60 --connect-concurrency 500 --max-seconds 170 \
  >"$out/$label.log" 2>&1 &
load_pid=$!
held=0
for _ in $(seq 120); do
  held=$(ss -Htn state established "( sport = :$port )" | wc -l)
  [ "$held" -ge 10000 ] && break
  sleep 1
done
sleep 15 # the connection storm's garbage collected, the streams idle
server_pid=$(ss -Htlnp "( sport = :$port )" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
echo "server $server_pid, $held connections held, $(grep VmRSS /proc/"$server_pid"/status)"
"$gcdump" collect -p "$server_pid" -o "$out/$label.gcdump" >/dev/null
wait $load_pid || true
grep -E 'connections held|RSS MiB' "$out/$label.log" || true
"$gcdump" report "$out/$label.gcdump" >"$out/$label.report.txt"
python3 bench/gcdump-owners.py "$out/$label.report.txt" 10000
