#!/usr/bin/env bash
# Start, stop or query a local Hardhat 2.x JSON-RPC node for manual chain work
# (the chain tests start their own node on a free port; this helper is for people).
#
#   scripts/hardhat-node.sh start [PORT]   start on 127.0.0.1:PORT (default 8546), wait until ready
#   scripts/hardhat-node.sh stop           stop the node started by `start`
#   scripts/hardhat-node.sh status         say whether it runs and where
#
# The node is started by its own binary (node_modules/.bin/hardhat, not npx) so the PID written
# to var/hardhat-node.pid is the node's, and `stop` ends exactly that process.
# Its state is in memory only: a restart is a fresh chain (chain id 31337, the well-known
# Hardhat dev accounts, each funded with 10000 ETH; never use their keys anywhere else).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=node_modules/.bin/hardhat
STATE=var
PIDFILE="$STATE/hardhat-node.pid"
PORTFILE="$STATE/hardhat-node.port"
LOG="$STATE/hardhat-node.log"

running() {
  [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null
}

rpc_ready() {
  node -e '
    const http = require("http");
    const req = http.request({host: "127.0.0.1", port: Number(process.argv[1]), method: "POST",
      headers: {"content-type": "application/json"}, timeout: 1000}, (res) => {
        let body = ""; res.on("data", (c) => body += c);
        res.on("end", () => process.exit(body.includes("\"result\"") ? 0 : 1)); });
    req.on("error", () => process.exit(1)); req.on("timeout", () => process.exit(1));
    req.end(JSON.stringify({jsonrpc: "2.0", id: 1, method: "eth_chainId", params: []}));
  ' "$1"
}

start() {
  local port="${1:-8546}"
  if [[ ! -x "$BIN" ]]; then
    echo "hardhat is not installed: run 'npm ci' at the repository root" >&2
    exit 2
  fi
  if running; then
    echo "already running: pid $(cat "$PIDFILE"), http://127.0.0.1:$(cat "$PORTFILE")"
    return 0
  fi
  mkdir -p "$STATE"
  HARDHAT_DISABLE_TELEMETRY_PROMPT=true nohup "$BIN" node --hostname 127.0.0.1 --port "$port" \
    >"$LOG" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  echo "$port" >"$PORTFILE"
  for _ in $(seq 1 60); do
    if rpc_ready "$port"; then
      echo "hardhat node ready: pid $(cat "$PIDFILE"), http://127.0.0.1:$port (log: $LOG)"
      return 0
    fi
    if ! running; then
      echo "hardhat node exited during start; last lines of $LOG:" >&2
      tail -n 20 "$LOG" >&2
      rm -f "$PIDFILE" "$PORTFILE"
      exit 1
    fi
    sleep 0.5
  done
  echo "hardhat node did not answer on port $port within 30 s (log: $LOG)" >&2
  stop
  exit 1
}

stop() {
  if ! running; then
    echo "not running"
    rm -f "$PIDFILE" "$PORTFILE"
    return 0
  fi
  local pid
  pid="$(cat "$PIDFILE")"
  kill -TERM "$pid"
  for _ in $(seq 1 20); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid"
  fi
  rm -f "$PIDFILE" "$PORTFILE"
  echo "stopped pid $pid"
}

status() {
  if running; then
    echo "running: pid $(cat "$PIDFILE"), http://127.0.0.1:$(cat "$PORTFILE")"
  else
    echo "not running"
    return 1
  fi
}

case "${1:-}" in
  start) start "${2:-}" ;;
  stop) stop ;;
  status) status ;;
  *)
    echo "usage: $0 start [PORT] | stop | status" >&2
    exit 2
    ;;
esac
