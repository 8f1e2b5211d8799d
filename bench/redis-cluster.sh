# Sourced by the cluster benchmarks: starts a 3-master + 3-replica Redis Cluster on loopback (ports from $BASE, each
# node in its own dir under $DIR, no persistence) and waits until every node says cluster_state:ok and the replicas
# synced. Sets PORTS; cluster_stop shuts the nodes down.
PORTS=()
for i in 0 1 2 3 4 5; do PORTS+=($((BASE + i))); done
cluster_stop() { for p in "${PORTS[@]}"; do redis-cli -p "$p" shutdown nosave >/dev/null 2>&1 || true; done; }
for p in "${PORTS[@]}"; do
  mkdir -p "$DIR/$p"
  redis-server --port "$p" --cluster-port $((p + 100)) --bind 127.0.0.1 --dir "$DIR/$p" --cluster-enabled yes \
    --cluster-node-timeout 2000 --save "" --appendonly no --daemonize yes --logfile "$DIR/$p/log" >/dev/null
done
for p in "${PORTS[@]}"; do until redis-cli -p "$p" ping 2>/dev/null | grep -q PONG; do sleep 0.1; done; done
redis-cli --cluster create $(printf '127.0.0.1:%s ' "${PORTS[@]}") --cluster-replicas 1 --cluster-yes >/dev/null
cluster_ok() { for p in "${PORTS[@]}"; do redis-cli -p "$p" cluster info | grep -q cluster_state:ok || return 1; done; }
until cluster_ok; do sleep 0.2; done
sleep 2 # replicas sync
