#!/usr/bin/env bash
# Runs the benchmark scenarios of docs/benchmarks.md: ours and Nchan interleaved, REPS times, every run bounded,
# loopback only, every process it starts stopped at the end. Results: one JSON line per run in $OUT.
#   bench/run-benchmarks.sh                      # all scenarios, 3 repetitions
#   REPS=1 SCENARIOS="throughput idle" bench/run-benchmarks.sh
#   SCENARIOS=hold bench/run-benchmarks.sh       # the 2-minute 15k-connection hold (run once)
#   SCENARIOS=warm bench/run-benchmarks.sh       # throughput after a long warm-up (JIT tiering done)
#   SCENARIOS=publish bench/run-benchmarks.sh    # HTTP publishing at 64 concurrent publishes and over 4 connections
#   SCENARIOS=publish-batch bench/run-benchmarks.sh  # the batch endpoint over 4 connections
# Then: /usr/bin/python3 bench/report.py $OUT    (table + bench/latency-vs-rate.png)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
reps="${REPS:-3}"
scenarios="${SCENARIOS:-throughput latency idle signalr}"
mkdir -p bench/results
out="${OUT:-bench/results/run-$(date -u +%Y%m%dT%H%M%S).jsonl}"

if [ -z "${NO_BUILD:-}" ]; then
  dotnet build bench/NotificationHub.LoadTest -c Release -v q -nologo >/dev/null
fi
# Run from copies, so that builds in the work tree during the run do not swap the binaries under test.
bin_dir="$(mktemp -d /tmp/bench-bin.XXXXXX)"
# The server under test is published as production deploys it (src/NotificationHub.Server/Dockerfile): ReadyToRun,
# so that a server seconds old runs precompiled code instead of spending its first seconds in the JIT.
# SERVER_DIR=<dir> measures an existing build instead (e.g. src/NotificationHub.Server/bin/Release/net10.0, plain JIT).
# SERVER_ENV="K=V K2=V2" adds environment variables to our server (A/B of runtime settings).
if [ -n "${SERVER_DIR:-}" ]; then
  cp -r "$SERVER_DIR" "$bin_dir/server"
else
  dotnet publish src/NotificationHub.Server -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true \
    -p:SkipDemoBuild=true -o "$bin_dir/server" -v q -nologo >/dev/null
fi
cp -r bench/NotificationHub.LoadTest/bin/Release/net10.0 "$bin_dir/loadtest"
server_dll="$bin_dir/server/NotificationHub.Server.dll"
export LOADTEST_DLL="$bin_dir/loadtest/NotificationHub.LoadTest.dll"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
redis_port="$(free_port)"
redis_dir="$(mktemp -d /tmp/bench-redis.XXXXXX)"
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$redis_dir" >"$redis_dir/log" 2>&1 &
redis_pid=$!
trap 'kill $redis_pid 2>/dev/null || true; wait $redis_pid 2>/dev/null || true; rm -rf "$redis_dir" "$bin_dir"' EXIT
sleep 0.5

# ours BUS LABEL ARGS...: our server (Redis bus, or the in-memory bus), started and stopped by the load tool.
ours() {
  local bus="$1" label="$2"; shift 2
  local redis_arg=(--server-redis "127.0.0.1:$redis_port")
  [ "$bus" = "memory" ] && redis_arg=()
  local env_arg=()
  for kv in ${SERVER_ENV:-}; do env_arg+=(--server-env "$kv"); done
  redis-cli -p "$redis_port" flushall >/dev/null
  # The environment the Dockerfile sets (GC budget; the shared array pool SignalR's connection pipes rent from).
  dotnet "$LOADTEST_DLL" --label "$label" --url "http://127.0.0.1:$(free_port)" --server-dll "$server_dll" \
    --server-env DOTNET_GCgen0size=0x400000 --server-env DOTNET_SYSTEM_BUFFERS_SHAREDARRAYPOOL_MAXARRAYSPERPARTITION=1024 \
    "${env_arg[@]}" "${redis_arg[@]}" --redis "127.0.0.1:$redis_port" --json-out "$out" "$@" | grep -v '^RESULT ' || true
}
# nchan STORAGE LABEL ARGS...: nginx+nchan started and stopped by bench/nchan/run.sh.
nchan() {
  local storage="$1" label="$2"; shift 2
  bench/nchan/run.sh "$storage" -- --label "$label" --json-out "$out" "$@" | grep -v '^RESULT ' || true
}

for rep in $(seq "$reps"); do
  echo "### repetition $rep/$reps ($(date -u +%H:%M:%S))"
  for s in $scenarios; do
    case "$s" in
      throughput) # 1,000 SSE subscribers over 100 BOMs, as fast as the pair goes
        args=(--sse 1000 --boms 100 --events 300 --warmup 30 --rate 0 --in-flight 64)
        ours redis "throughput/ours-redis" "${args[@]}"
        nchan redis "throughput/nchan-redis" "${args[@]}"
        ours redis "throughput/ours-redis-publish" "${args[@]}" --publish redis
        ours memory "throughput/ours-memory" "${args[@]}"
        nchan memory "throughput/nchan-memory" "${args[@]}"
        ;;
      latency) # 2,000 SSE subscribers over 200 BOMs; 10 subscribers per BOM, so deliveries/s = 10 x events/s
        for rate in 1000 2000 4000 8000; do
          args=(--sse 2000 --boms 200 --rate "$rate" --events $((rate * 6 / 200)) --warmup 20 --in-flight 256)
          ours redis "latency/ours-redis/$((rate * 10))" "${args[@]}"
          nchan redis "latency/nchan-redis/$((rate * 10))" "${args[@]}"
          nchan memory "latency/nchan-memory/$((rate * 10))" "${args[@]}"
        done
        ;;
      idle) # 10,000 idle SSE connections over 1,000 BOMs, then one event each to prove they are alive
        args=(--sse 10000 --boms 1000 --events 1 --warmup 1 --settle 5 --connect-concurrency 500)
        ours redis "idle/ours-redis" "${args[@]}"
        nchan redis "idle/nchan-redis" "${args[@]}"
        nchan memory "idle/nchan-memory" "${args[@]}"
        ;;
      publish) # the cost of a publish: the throughput scenario's subscribers, HTTP publishing at 64 concurrent
        # publishes (64 connections) and over 4 publisher connections (--in-flight 4: HTTP/1.1, one request in flight
        # per connection), ours (Redis bus) and Nchan (Redis storage) back to back
        args=(--sse 1000 --boms 100 --events 300 --warmup 30 --rate 0)
        ours redis "throughput/ours-redis" "${args[@]}" --in-flight 64
        nchan redis "throughput/nchan-redis" "${args[@]}" --in-flight 64
        ours redis "throughput/ours-redis-4conn" "${args[@]}" --in-flight 4
        nchan redis "throughput/nchan-redis-4conn" "${args[@]}" --in-flight 4
        ;;
      publish-batch) # the batch endpoint over 4 connections: 10 events (one per BOM) per request; Nchan has none, so
        # its peer is Nchan's single publishes over 4 connections, back to back
        args=(--sse 1000 --boms 100 --events 300 --warmup 30 --rate 0 --in-flight 4)
        ours redis "throughput/ours-redis-batch-4conn" "${args[@]}" --publish batch --batch-size 10
        nchan redis "throughput/nchan-redis-4conn-peer" "${args[@]}"
        ;;
      warm) # throughput with a long warm-up (150 events per BOM first), so that our server's JIT has finished tiering
        args=(--sse 1000 --boms 100 --events 300 --warmup 150 --rate 0 --in-flight 64)
        ours redis "throughput-warm/ours-redis" "${args[@]}"
        nchan redis "throughput-warm/nchan-redis" "${args[@]}"
        ;;
      signalr) # the throughput scenario over SignalR (WebSockets), MessagePack and JSON, read by the raw hub-protocol
        # client (events read in place, like the raw SSE reader); one MessagePack row with the real .NET client, which
        # deserializes every message (more client CPU on the shared cores)
        args=(--boms 100 --events 300 --warmup 30 --rate 0 --in-flight 64)
        ours redis "throughput/ours-signalr-msgpack" --signalr-msgpack 1000 --signalr-client raw "${args[@]}"
        ours redis "throughput/ours-signalr-json" --signalr-json 1000 --signalr-client raw "${args[@]}"
        ours redis "throughput/ours-signalr-msgpack-dotnet" --signalr-msgpack 1000 --signalr-client dotnet "${args[@]}"
        ;;
      hold) # 15,000 connections (half SSE, half SignalR) for 2 minutes under a steady publish load
        ours redis "hold/ours-redis" --sse 7500 --signalr-json 3750 --signalr-msgpack 3750 --boms 1500 \
          --rate 300 --hold 120 --warmup 2 --sample 10 --settle 5 --connect-concurrency 300 --max-seconds 240
        ;;
    esac
  done
done
echo "results: $out"
