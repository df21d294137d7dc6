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
TAG=workerd
. "$E2E/lib/workerd.sh"

[ -f "$E2E/node_modules/trpcws/trpcws.wasm" ] || fail "e2e/node_modules/trpcws is missing (run.sh unpacks npm pack web/ there)"
log "$("$WORKERD" --version)"

# The example's directory as a user has it: worker.mjs, config.capnp, node_modules.
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
WPORT=$(free_port)
WS="${BASE/http:/ws:}/trpc"
sed -e "s|\"ws://127.0.0.1:3000\"|\"$WS\"|" -e "s|\"127.0.0.1:8788\"|\"127.0.0.1:$WPORT\"|" \
  "$EXAMPLE/config.capnp" > "$STAGE/config.capnp"
grep -q "\"$WS\"" "$STAGE/config.capnp" && grep -q "\"127.0.0.1:$WPORT\"" "$STAGE/config.capnp" \
  || fail "config.capnp no longer has TRPC_URL \"ws://127.0.0.1:3000\" and socket \"127.0.0.1:8788\" to substitute"

serve_workerd "$WPORT"
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
expect_closed
