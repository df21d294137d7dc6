#!/usr/bin/env bash
# Cloudflare Workers through wrangler: builds examples/wrangler with the real wrangler (npm,
# `wrangler deploy --dry-run --outdir`: the bundle it would upload; `import ... from 'trpcws'`
# resolves through the package's workerd export condition, no init() step), runs that bundle in
# workerd (npm, the version wrangler itself depends on) and curls it:
#   1. the global `new WebSocket(url)`: a query, a mutation, a tracked subscription;
#   2. createWebSocket with fetch(url, {headers: {Upgrade: 'websocket', ...}}) + accept(), a socket
#      that is open already (no open event): the same calls, and the server saw the header;
#   3. the socket closed with 1009 (what Workers do on a message over 1 MiB) while a query is in
#      flight: the query fails with the close, the next query reconnects (docs/serving.md).
# usage: bash e2e/wrangler.sh http://127.0.0.1:PORT NODE22   (the test server; a Node >= 22.12 for
# wrangler; run.sh has unpacked `npm pack web/` into e2e/node_modules/trpcws)
set -euo pipefail
E2E=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$E2E")
BASE=${1:?usage: wrangler.sh http://127.0.0.1:PORT NODE22}
NODE22=${2:?usage: wrangler.sh http://127.0.0.1:PORT NODE22}
WORKERD=$E2E/node_modules/.bin/workerd
TAG=wrangler
. "$E2E/lib/workerd.sh"

[ -f "$E2E/node_modules/trpcws/workerd.js" ] || fail "e2e/node_modules/trpcws is missing or old (run.sh unpacks npm pack web/ there)"


# The example as a user has it, with the test server's URL as TRPC_URL.
WS="${BASE/http:/ws:}/trpc"
cp -r "$ROOT/examples/wrangler/src" "$STAGE/"
sed "s|\"ws://127.0.0.1:3000/trpc\"|\"$WS\"|" "$ROOT/examples/wrangler/wrangler.jsonc" > "$STAGE/wrangler.jsonc"
grep -q "\"$WS\"" "$STAGE/wrangler.jsonc" || fail "wrangler.jsonc no longer has TRPC_URL \"ws://127.0.0.1:3000/trpc\" to substitute"
ln -s "$E2E/node_modules" "$STAGE/node_modules"
WRANGLER_VERSION=$("$NODE22" "$E2E/node_modules/wrangler/bin/wrangler.js" --version 2>/dev/null | tail -1)
(cd "$STAGE" && HOME=$STAGE/home WRANGLER_SEND_METRICS=false CI=true \
  "$NODE22" node_modules/wrangler/bin/wrangler.js deploy --dry-run --outdir dist) > "$STAGE/build.log" 2>&1 \
  || { cat "$STAGE/build.log" >&2; fail "wrangler deploy --dry-run failed"; }
log "wrangler $WRANGLER_VERSION: $(grep -o 'Total Upload: .*' "$STAGE/build.log")"
wasm=$(cd "$STAGE/dist" && ls ./*.wasm)
[ "$(echo "$wasm" | wc -l)" = 1 ] || fail "the bundle should hold one .wasm, has: $wasm"
wasm=${wasm#./}
grep -q "from \"./$wasm\"" "$STAGE/dist/worker.js" || fail "the bundle does not import $wasm as a module (workerd condition not applied?)"
grep -qE '^import .*\binit\b' "$STAGE/src/worker.js" && fail "the example must not call init()"

# The bundle in workerd, as Cloudflare runs it: the worker module and the .wasm as a compiled module.
WPORT=$(free_port)
COMPAT=$(node -e 'console.log(/"compatibility_date":\s*"([^"]+)"/.exec(require("fs").readFileSync(process.argv[1],"utf8"))[1])' "$STAGE/wrangler.jsonc")
cat > "$STAGE/config.capnp" <<CAPNP
using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .w),
    (name = "loopback", network = (allow = ["local"])),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:$WPORT", http = (), service = "main") ],
);
const w :Workerd.Worker = (
  compatibilityDate = "$COMPAT",
  globalOutbound = "loopback",
  bindings = [ (name = "TRPC_URL", text = "$WS") ],
  modules = [
    (name = "worker.js", esModule = embed "dist/worker.js"),
    (name = "$wasm", wasm = embed "dist/$wasm"),
  ],
);
CAPNP
serve_workerd "$WPORT"
log "$("$WORKERD" --version) serving the bundle on 127.0.0.1:$WPORT (tRPC server $WS)"

curl -fsS --max-time 5 "$BASE/control/reset" > /dev/null
get() { curl -sS --max-time 25 "http://127.0.0.1:$WPORT/$1" || { cat "$STAGE/workerd.log" >&2; fail "curl /$1"; }; }
ev='[{"id":"1","data":{"n":1}},{"id":"2","data":{"n":2}},{"id":"3","data":{"n":3}}]'
got=$(get '?text=global')
want="{\"echo\":\"global\",\"count\":1,\"events\":$ev,\"header\":null,\"socketsOpened\":1}"
[ "$got" = "$want" ] || { cat "$STAGE/workerd.log" >&2; fail "new WebSocket: got $got, want $want"; }
log "new WebSocket(url) → $got"
got=$(get '?ws=fetch&text=fetch')
want="{\"echo\":\"fetch\",\"count\":2,\"events\":$ev,\"header\":\"fetch\",\"socketsOpened\":1}"
[ "$got" = "$want" ] || { cat "$STAGE/workerd.log" >&2; fail "fetch + accept(): got $got, want $want"; }
log "fetch Upgrade + accept() (already open) → $got"

# Workers close a socket that receives a message over 1 MiB with 1009 (local workerd does not
# enforce the limit): the test server closes the worker's socket with 1009 while a query is in
# flight. The query fails with the close; the next query reconnects and is answered.
curl -sS --max-time 25 "http://127.0.0.1:$WPORT/?ws=fetch&slowMs=8000" > "$STAGE/slow.json" &
SLOW=$!
for _ in $(seq 100); do
  n=$(connections)
  [ "$n" = 1 ] && break
  sleep 0.1
done
[ "$n" = 1 ] || fail "the slow request's socket did not open"
curl -fsS --max-time 5 "$BASE/control/close?code=1009" > /dev/null
wait "$SLOW" || fail "curl ?slowMs"
got=$(cat "$STAGE/slow.json")
want='{"slow":{"ok":false,"error":"Unknown error","closeCode":1009},"after":"after","events":["state connecting","attempt","open","state pending","close 1009","attempt","open"],"socketsOpened":2}'
[ "$got" = "$want" ] || { cat "$STAGE/workerd.log" >&2; fail "closed with 1009: got $got, want $want"; }
log "closed with 1009 mid-query → $got"

expect_closed
