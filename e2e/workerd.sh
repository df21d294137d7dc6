#!/usr/bin/env bash
# workerd: runs the example worker (examples/workerd) as a user would have it, curls it twice,
# then once with a query slower than its requestTimeoutMs, and checks the JSON it answers, exactly.
# usage: bash e2e/workerd.sh http://127.0.0.1:PORT    (the test server; run.sh has unpacked
# `npm pack web/` into e2e/node_modules/trpcws)
set -euo pipefail
E2E=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$E2E")
BASE=${1:?usage: workerd.sh http://127.0.0.1:PORT}
EXAMPLE=$ROOT/examples/workerd
WORKERD=$E2E/node_modules/.bin/workerd
t0=$(date +%s%N)
log() { printf '[workerd +%.1fs] %s\n' "$(( ($(date +%s%N) - t0) / 1000000 ))e-3" "$*"; }
fail() { echo "[workerd] FAIL: $*" >&2; exit 1; }

[ -f "$E2E/node_modules/trpcws/trpcws.wasm" ] || fail "e2e/node_modules/trpcws is missing (run.sh unpacks npm pack web/ there)"
log "$("$WORKERD" --version)"

# The example's directory as a user has it: worker.mjs, config.capnp, node_modules.
STAGE=$(mktemp -d)
WD_PID=
cleanup() {
  if [ -n "$WD_PID" ]; then # TERM lets workerd drain requests; KILL if that takes over 3 s
    kill "$WD_PID" 2> /dev/null || true
    for _ in $(seq 30); do kill -0 "$WD_PID" 2> /dev/null || break; sleep 0.1; done
    kill -KILL "$WD_PID" 2> /dev/null || true
    wait "$WD_PID" 2> /dev/null || true
  fi
  rm -rf "$STAGE"
}
trap cleanup EXIT
trap "exit 143" TERM INT
cp "$EXAMPLE/worker.mjs" "$STAGE/"
ln -s "$E2E/node_modules" "$STAGE/node_modules"

# The template's module list must match what is installed.
(cd "$STAGE" && node "$EXAMPLE/list-modules.mjs") | sed 's/^ *//' | sort > "$STAGE/want.txt"
grep -E '^ *\(name = .*(esModule|wasm) = ' "$EXAMPLE/config.capnp" | sed 's/^ *//' | sort > "$STAGE/have.txt"
if ! diff -u "$STAGE/have.txt" "$STAGE/want.txt" > "$STAGE/modules.diff"; then
  cat "$STAGE/modules.diff" >&2
  fail "examples/workerd/config.capnp's modules differ from list-modules.mjs's output (regenerate it)"
fi

# Only the tRPC server URL and the listening port change.
WPORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
WS="${BASE/http:/ws:}/trpc"
sed -e "s|\"ws://127.0.0.1:3000\"|\"$WS\"|" -e "s|\"127.0.0.1:8788\"|\"127.0.0.1:$WPORT\"|" \
  "$EXAMPLE/config.capnp" > "$STAGE/config.capnp"
grep -q "\"$WS\"" "$STAGE/config.capnp" && grep -q "\"127.0.0.1:$WPORT\"" "$STAGE/config.capnp" \
  || fail "config.capnp no longer has TRPC_URL \"ws://127.0.0.1:3000\" and socket \"127.0.0.1:8788\" to substitute"

(cd "$STAGE" && exec "$WORKERD" serve config.capnp --verbose) > "$STAGE/workerd.log" 2>&1 &
WD_PID=$!
for _ in $(seq 100); do
  (exec 3<> "/dev/tcp/127.0.0.1/$WPORT") 2> /dev/null && break # listening (connect only: no request)
  kill -0 "$WD_PID" 2>/dev/null || { cat "$STAGE/workerd.log" >&2; fail "workerd exited"; }
  sleep 0.1
done
log "serving on 127.0.0.1:$WPORT (tRPC server $WS)"

curl -fsS --max-time 5 "$BASE/control/reset" > /dev/null
# Two requests: each creates, uses and closes its own client; the wasm instance is reused.
for i in 1 2; do
  got=$(curl -sS --max-time 20 "http://127.0.0.1:$WPORT/?text=hello%20from%20workerd%20$i") \
    || { cat "$STAGE/workerd.log" >&2; fail "curl request $i"; }
  want="{\"echo\":\"hello from workerd $i\",\"count\":$i,\"events\":[{\"id\":\"1\",\"data\":{\"n\":1}},{\"id\":\"2\",\"data\":{\"n\":2}},{\"id\":\"3\",\"data\":{\"n\":3}}],\"socketsOpened\":1}"
  if [ "$got" != "$want" ]; then
    cat "$STAGE/workerd.log" >&2
    fail "request $i: got $got, want $want"
  fi
  log "request $i → $got"
done
# requestTimeoutMs (5000 in the worker): a query the server answers after 8 s fails with a
# TimeoutError (the worker answers 504 with it and the client's stats()).
got=$(curl -sS --max-time 20 -w ' %{http_code}' "http://127.0.0.1:$WPORT/?slowMs=8000") \
  || { cat "$STAGE/workerd.log" >&2; fail "curl slow request"; }
want='{"error":"trpcws: request timed out after 5000 ms","cause":"TimeoutError","connection":null,"stats":{"state":"pending","socketsOpened":1,"inFlight":0}} 504'
if [ "$got" != "$want" ]; then
  cat "$STAGE/workerd.log" >&2
  fail "slow request: got $got, want $want"
fi
log "slow request → $got"
# Nothing must be left open on the server: every request closed its client.
for _ in $(seq 50); do
  open=$(curl -fsS --max-time 5 "$BASE/control/stats" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).connections))')
  [ "$open" = 0 ] && break
  sleep 0.1
done
[ "$open" = 0 ] || fail "$open WebSocket connections still open after the responses"
log "ok: every request closed its socket"
