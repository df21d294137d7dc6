#!/usr/bin/env bash
# make demo: serve index.html, web/ and the tRPC WebSocket endpoint from one origin.
#
#   bash demo/run.sh            # http://127.0.0.1:8080/index.html
#   PORT=9000 bash demo/run.sh
#   HOST=0.0.0.0 bash demo/run.sh   # reachable from other machines (no auth: demo only)
#
# Installs what it needs (npm ci in testserver/ and web/), builds the wasm if it is missing,
# then runs testserver/server.mjs --static <repo root> until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PORT=${PORT:-8080}
HOST=${HOST:-127.0.0.1}

# npm ci only when node_modules is missing or older than the lock file.
npm_ci() {
  local dir=$1
  [ -f "$dir/package-lock.json" ] || return 0
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "demo: npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}
npm_ci testserver
npm_ci web

if [ ! -f web/trpcws.wasm ] || [ ! -f web/wasm_exec.js ]; then
  echo "demo: building the wasm (./build.sh)"
  ./build.sh
fi
for f in web/index.js web/trpcws.wasm web/wasm_exec.js testserver/node_modules/@trpc/client/dist/index.mjs; do
  [ -f "$f" ] || { echo "demo: $f is missing" >&2; exit 1; }
done

SERVER_PID=
stop() {
  trap - INT TERM EXIT
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  echo
  echo "demo: stopped"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The server prints exactly one stdout line, "LISTENING <port>"; its log goes to stderr (shown here).
OUT=$(mktemp)
node testserver/server.mjs --host "$HOST" --port "$PORT" --static "$ROOT" --ignore-stdin </dev/null >"$OUT" &
SERVER_PID=$!
port=
for _ in $(seq 200); do
  port=$(sed -n 's/^LISTENING //p' "$OUT")
  [ -n "$port" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.1
done
rm -f "$OUT"
if [ -z "$port" ]; then
  echo "demo: the server did not start (is port $PORT free? try PORT=9000 make demo)" >&2
  exit 1
fi
[ "$HOST" = 0.0.0.0 ] && HOST=127.0.0.1
echo
echo "Demo: http://$HOST:$port/index.html"
echo "(Ctrl-C to stop)"
echo
wait "$SERVER_PID"
