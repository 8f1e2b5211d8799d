#!/usr/bin/env bash
# Redis CPU per published event on each node of a 3-master + 3-replica cluster, classic PUBLISH vs sharded SPUBLISH.
# Runs the bus's own append script (src/NotificationHub.Bus.Redis/Scripts/append.lua) on three BOMs, one per
# shard, each with one subscriber, through redis-benchmark against the BOM's master; reads INFO cpu of every node
# before and after. Usage: bench/cluster-pubsub-cpu.sh [events per BOM, default 100000]
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-100000}"
DIR="$(mktemp -d)"
BASE=$((20000 + RANDOM % 12000)) # below the ephemeral range (32768+), where other sockets take ports
cleanup() { cluster_stop; kill $(jobs -p) 2>/dev/null || true; rm -rf "$DIR"; }
trap cleanup EXIT
source bench/redis-cluster.sh

# The script exactly as the backend sends it (ARGV[10] is the publish command; ARGV[8] = 0: no replica count, as with
# Redis:ReplicaAckTimeout = 0, so the figures are the publish alone; no idempotency key).
SCRIPT="$(cat src/NotificationHub.Bus.Redis/Scripts/append.lua)"
TEMPLATE='{"event_id":"","event_type":"progress","bom_id":"B","tenant_id":"acme","created_at":"2026-12-04T00:00:00+00:00","state":{"bom_id":"B","status":"enriching","total_items":1000,"processed_items":10,"enriched_items":10,"error_items":0,"percent_complete":1,"updated_at":"2026-12-04T00:00:00+00:00"}}'

# One BOM per master.
declare -A BOM_OF
for b in $(seq 1 200); do
  bom="bom-bench-$b"
  slot=$(redis-cli -p "${PORTS[0]}" cluster keyslot "$bom")
  owner=$(redis-cli -p "${PORTS[0]}" cluster nodes | awk -v s="$slot" '$3 ~ /master/ { for (i = 9; i <= NF; i++) { split($i, r, "-"); if (r[2] == "") r[2] = r[1]; if (s >= r[1] && s <= r[2]) { split($2, a, "[:@]"); print a[2] } } }')
  [ -z "${BOM_OF[$owner]:-}" ] && BOM_OF[$owner]="$bom"
  [ "${#BOM_OF[@]}" -eq 3 ] && break
done

cpu() { redis-cli -p "$1" info cpu | awk -F: '/used_cpu_sys:|used_cpu_user:/ { s += $2 } END { printf "%.4f", s }'; }

run() { # mode: classic | sharded
  local mode="$1" cmd channel
  declare -A before
  for master in "${!BOM_OF[@]}"; do
    bom="${BOM_OF[$master]}"
    if [ "$mode" = sharded ]; then cmd=SPUBLISH; channel="enrichment:bom:{$bom}"; sub=SSUBSCRIBE; else cmd=PUBLISH; channel="enrichment:bom:$bom"; sub=SUBSCRIBE; fi
    redis-cli -p "$master" $sub "$channel" >/dev/null &
  done
  sleep 0.5
  for p in "${PORTS[@]}"; do before[$p]=$(cpu "$p"); done
  for master in "${!BOM_OF[@]}"; do
    bom="${BOM_OF[$master]}"
    if [ "$mode" = sharded ]; then cmd=SPUBLISH; channel="enrichment:bom:{$bom}"; else cmd=PUBLISH; channel="enrichment:bom:$bom"; fi
    sha=$(redis-cli -p "$master" script load "$SCRIPT")
    redis-benchmark -p "$master" -n "$N" -c 8 -q EVALSHA "$sha" 3 "nh:$mode:{$bom}:owner" "nh:$mode:{$bom}:log" "nh:$mode:{$bom}:meta" \
      acme "$TEMPLATE" 1000 "$channel" 0 86400000 604800000 0 600000 "$cmd" >/dev/null &
  done
  wait $(jobs -p | tail -n 3)
  local total=$((N * 3)) sum=0
  printf '%-8s' "$mode"
  for p in "${PORTS[@]}"; do
    role=$(redis-cli -p "$p" role | head -1)
    us=$(awk -v a="${before[$p]}" -v b="$(cpu "$p")" -v n="$total" 'BEGIN { printf "%.2f", (b - a) * 1e6 / n }')
    printf '  %s %-6s %5s µs' "$p" "$role" "$us"
  done
  echo
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
}

echo "Redis CPU (sys+user) per event, per node; $N events on each of 3 BOMs (one per shard), one subscriber each"
run classic
run sharded
