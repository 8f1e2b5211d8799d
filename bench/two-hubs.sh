#!/usr/bin/env bash
# Deliveries/s through two hub processes sharing one Redis deployment: a 3-master + 3-replica Redis Cluster (sharded
# pub/sub, bench/redis-cluster.sh) or one redis-server. The load tool spreads its SSE subscribers and its HTTP
# publishes over both hubs round-robin (--url A,B), so every event is published on one hub and delivered by both.
# Usage: [HUB_ENV="K=V ..."] bench/two-hubs.sh cluster|single [label] [load tool options...]
#   HUB_ENV: extra environment of both hubs, e.g. HUB_ENV=Redis__ReplicaAckTimeout=00:00:00 (no WAIT per publish)
#   (default load: 1,000 SSE over 100 BOMs, 30 warm-up + 300 events per BOM, 64 publishes in flight)
set -euo pipefail
cd "$(dirname "$0")/.."
MODE="${1:?cluster or single}"; shift
LABEL="${1:-two-hubs-$MODE}"; shift || true
SERVER_DLL="${SERVER_DLL:-src/NotificationHub.Server/bin/Release/net10.0/NotificationHub.Server.dll}"
LOADTEST_DLL=bench/NotificationHub.LoadTest/bin/Release/net10.0/NotificationHub.LoadTest.dll
KEY=notificationhub-bench-signing-key-0123456789abcdef
DIR="$(mktemp -d)"
BASE=$((20000 + RANDOM % 12000)) # below the ephemeral range (32768+), where other sockets take ports
HUB_PIDS=()
cleanup() {
  for pid in "${HUB_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ "$MODE" = cluster ]; then cluster_stop; else redis-cli -p "$BASE" shutdown nosave >/dev/null 2>&1 || true; fi
  rm -rf "$DIR"
}
trap cleanup EXIT

if [ "$MODE" = cluster ]; then
  source bench/redis-cluster.sh
  REDIS="$(printf '127.0.0.1:%s,' "${PORTS[@]}")"; REDIS="${REDIS%,}"
else
  redis-server --port "$BASE" --bind 127.0.0.1 --dir "$DIR" --save "" --appendonly no --daemonize yes --logfile "$DIR/log" >/dev/null
  until redis-cli -p "$BASE" ping 2>/dev/null | grep -q PONG; do sleep 0.1; done
  REDIS="127.0.0.1:$BASE"
fi

URLS=()
for i in 0 1; do
  port=$((BASE + 200 + i))
  ASPNETCORE_ENVIRONMENT=Production Auth__SigningKey="$KEY" Redis__ConnectionString="$REDIS" Worker__Enabled=false \
    Logging__LogLevel__Default=Warning RateLimiting__PerUserConcurrentConnections=1000000 \
    RateLimiting__PerTenantConcurrentConnections=10000000 RateLimiting__PerUserConnectionsPerMinute=1000000 \
    env ${HUB_ENV:-} dotnet "$SERVER_DLL" --urls "http://127.0.0.1:$port" >"$DIR/hub$i.log" 2>&1 &
  HUB_PIDS+=($!)
  URLS+=("http://127.0.0.1:$port")
done
for url in "${URLS[@]}"; do
  for _ in $(seq 1 150); do curl -fs "$url/health/ready" >/dev/null && break; sleep 0.2; done
  curl -fs "$url/health/ready" >/dev/null || { echo "hub $url not ready"; cat "$DIR"/hub*.log; exit 1; }
done

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
dotnet "$LOADTEST_DLL" --label "$LABEL" --url "$(IFS=,; echo "${URLS[*]}")" --signing-key "$KEY" \
  --server-pid "$(IFS=,; echo "${HUB_PIDS[*]}")" \
  --sse 1000 --boms 100 --events 300 --warmup 30 --rate 0 --in-flight 64 --max-seconds 110 "$@"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
