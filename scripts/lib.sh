# Shared helpers for the CLI-level tests: start a real dynax node on a free
# loopback port and stop it on exit.

# start_node BIN DIR [FLAGS...]: starts `BIN store` with data in DIR (or,
# with DYNAX_VIA=serve, the all-in-one node: the caching proxy in front of
# the store) and any extra flags; sets NODE_PID and ENDPOINT.
start_node() {
  local bin=$1 dir=$2 log=$2/node.log
  shift 2
  mkdir -p "$dir"
  if [ "${DYNAX_VIA:-store}" = serve ]; then
    "$bin" serve --listen 127.0.0.1:0 --store-listen "" --etcd-listen "" --data-dir "$dir/data" "$@" >"$log" 2>&1 &
  else
    "$bin" store --listen 127.0.0.1:0 --data-dir "$dir/data" "$@" >"$log" 2>&1 &
  fi
  NODE_PID=$!
  for _ in $(seq 1 100); do
    addr=$(grep -o ' addr=127.0.0.1:[0-9]*' "$log" | head -1 | cut -d= -f2 || true)
    if [ -n "$addr" ]; then
      ENDPOINT="http://$addr"
      return 0
    fi
    sleep 0.1
  done
  echo "node did not start:"; cat "$log"; return 1
}

stop_node() {
  if [ -n "${NODE_PID:-}" ]; then kill "$NODE_PID" 2>/dev/null || true; wait "$NODE_PID" 2>/dev/null || true; fi
}
