#!/usr/bin/env bash
# Every test of the web package (make test-web):
#   1. the Go bridge's unit tests, in Node (GOOS=js GOARCH=wasm go test ./jsbridge/);
#   2. web/test/*.test.js with the real @trpc/client and the real test server,
#      on Node 20 (--experimental-websocket: its global WebSocket), on Node 22
#      (npm's node@22 binary: global WebSocket), and on Node 20 with the npm
#      `ws` package passed as the WebSocket ponyfill;
#   3. web/test/pack.sh: the packed tarball installed into a scratch app answers
#      a query, a mutation and a subscription against the real server;
#   4. tsc --noEmit -p web/test/types (strict; among its fixtures, options typed
#      as @trpc/client's own WebSocketClientOptions handed to createWSClient).
# Installs what it needs (npm ci in web/ and testserver/ when node_modules is
# missing or older than the lock file), builds the wasm with ../../build.sh
# when it is missing or older than the Go sources. Runs everything, prints a
# summary, exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
export NO_COLOR=1

die() { echo "web/test/run.sh: $*" >&2; exit 1; }

npm_ci() {
  local dir=$1
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "== npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci in $dir failed"
  fi
}
npm_ci testserver
npm_ci web

NODE22=$ROOT/web/node_modules/.bin/node
"$NODE22" --version > /dev/null 2>&1 || die "web/node_modules/.bin/node (npm node@22) does not run: reinstall with install scripts enabled (npm ci in web/)"

# Rebuild when the wasm is missing or older than any Go source it is built from.
stale=0
if [ ! -f web/trpcws.wasm ] || [ ! -f web/wasm_exec.js ]; then
  stale=1
elif [ -n "$(find core jsbridge wasm go.mod go.sum -newer web/trpcws.wasm -print -quit 2> /dev/null)" ]; then
  stale=1
fi
if [ $stale = 1 ]; then
  echo "== ./build.sh"
  ./build.sh || die "./build.sh failed"
fi

FAILED=()
run() { # name command...
  local name=$1
  shift
  echo
  echo "== $name"
  echo "   $*"
  local t0=$SECONDS
  if "$@"; then
    echo "-- PASS $name ($((SECONDS - t0)) s)"
  else
    echo "-- FAIL $name ($((SECONDS - t0)) s)"
    FAILED+=("$name")
  fi
}

GOROOT=$(go env GOROOT)
# Every test file, so that a new one cannot be left out.
mapfile -t TESTS < <(cd web && ls test/*.test.js)
[ "${#TESTS[@]}" -ge 10 ] || die "expected at least 10 test files in web/test, found ${#TESTS[@]}"

run "go test ./jsbridge (wasm, in Node $(node --version))" \
  env GOOS=js GOARCH=wasm go test -count=1 -exec="$GOROOT/lib/wasm/go_js_wasm_exec" ./jsbridge/
# Each Node run is bounded (a test file whose process does not exit would
# otherwise hold CI): timeout fails it loudly after 15 minutes.
run "node $(node --version), global WebSocket" \
  timeout -k 10 900 bash -c 'cd web && exec node --experimental-websocket --test --test-reporter=spec "$@"' _ "${TESTS[@]}"
run "node $("$NODE22" --version), global WebSocket" \
  timeout -k 10 900 bash -c 'cd web && exec "$0" --test --test-reporter=spec "$@"' "$NODE22" "${TESTS[@]}"
run "node $(node --version), ws ponyfill" \
  timeout -k 10 900 bash -c 'cd web && TRPCWS_TEST_WS=ws exec node --test --test-reporter=spec "$@"' _ "${TESTS[@]}"
run "npm pack, installed into a scratch app, answering through it" \
  bash web/test/pack.sh
run "tsc --noEmit -p web/test/types" \
  web/node_modules/.bin/tsc --noEmit -p web/test/types

echo
if [ ${#FAILED[@]} -gt 0 ]; then
  echo "web tests: ${#FAILED[@]} failed: ${FAILED[*]}"
  exit 1
fi
echo "web tests: all passed"
