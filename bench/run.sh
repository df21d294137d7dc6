#!/usr/bin/env bash
# `make bench`: installs what the benchmarks need, builds the Go pieces, and
# runs bench/run.mjs, which starts one real test server, runs every client
# kind in its own process over interleaved rounds, prints a Markdown table
# with ratios and PASS/MISS per target, and writes artifacts/bench.{json,md};
# then bench/browser.mjs, the page-load and latency part in headless Chromium
# (artifacts/bench-browser.{json,md}).
# A missed target never fails the command; a broken harness does.
#
#   bash bench/run.sh              # full run, ~5 minutes
#   BENCH_QUICK=1 bash bench/run.sh  # ~1 minute
#   BENCH_KINDS=js-floor,wasm-link BENCH_ROUNDS=3 bash bench/run.sh
#   BENCH_BROWSER=0 (Node and Go only) | BENCH_BROWSER=only (the Chromium part only)
#   BENCH_HTTP=0 (without the HTTP transport's part, bench/httpbench)
#   BENCH_BEFORE=633626b (a commit: built here in a temporary git worktree, removed at the end)
#   BENCH_BEFORE=/path/to/web (a built web package) — before and after in the same run:
#     the wasm kinds and pages are also measured with that package, interleaved, and a
#     before/after table is added (bench/README.md)
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
export PATH="$($GO env GOROOT)/bin:$PATH"
NODE=${BENCH_NODE:-node}

# npm ci where the lock file changed since the last install.
for d in bench testserver web; do
  if [ -f "$d/package-lock.json" ] && { [ ! -d "$d/node_modules" ] || [ "$d/package-lock.json" -nt "$d/node_modules/.package-lock.json" ]; }; then
    echo "bench: npm ci in $d" >&2
    (cd "$d" && npm ci --no-audit --no-fund >&2)
  fi
done

# The wasm client: (re)built when missing or older than its Go sources.
if [ -x ./build.sh ] || [ -f ./build.sh ]; then
  stale=0
  if [ ! -f web/trpcws.wasm ] || [ ! -f web/wasm_exec.js ]; then
    stale=1
  elif [ -n "$(find core jsbridge wasm go.mod -newer web/trpcws.wasm -name '*.go' -o -newer web/trpcws.wasm -name go.mod 2>/dev/null | head -1)" ]; then
    stale=1
  fi
  if [ $stale = 1 ]; then
    echo "bench: building the wasm client (./build.sh)" >&2
    bash ./build.sh >&2 || echo "bench: ./build.sh failed; the wasm client will not be measured" >&2
  fi
fi

# BENCH_BEFORE naming a commit: its web package, built in a temporary worktree with its own
# build.sh; run.mjs and browser.mjs then take the directory.
if [ -n "${BENCH_BEFORE:-}" ] && [ ! -d "$BENCH_BEFORE" ]; then
  rev=$(git rev-parse --short --verify --quiet "$BENCH_BEFORE^{commit}") || {
    echo "bench: BENCH_BEFORE=$BENCH_BEFORE is neither a directory nor a commit" >&2
    exit 1
  }
  before_tmp=$(mktemp -d)
  trap 'git worktree remove --force "$before_tmp/src" >/dev/null 2>&1; rm -rf "$before_tmp"' EXIT
  echo "bench: building $rev's web package in $before_tmp/src (BENCH_BEFORE)" >&2
  git worktree add --detach --quiet "$before_tmp/src" "$rev" >&2
  (cd "$before_tmp/src/web" && npm ci --no-audit --no-fund --loglevel=error) >&2
  (cd "$before_tmp/src" && bash ./build.sh) >&2
  export BENCH_BEFORE_LABEL=${BENCH_BEFORE_LABEL:-$rev}
  export BENCH_BEFORE=$before_tmp/src/web
fi

# The Go client program and the bare Go wasm hello (built like web/trpcws.wasm).
mkdir -p bench/.build
$GO build -o bench/.build/gobench ./bench/gobench
GOOS=js GOARCH=wasm $GO build -trimpath -ldflags='-s -w' -o bench/.build/hello.wasm ./bench/hello
cp "$($GO env GOROOT)/lib/wasm/wasm_exec.js" bench/.build/wasm_exec.js

if [ "${BENCH_BROWSER:-1}" != only ]; then
  "$NODE" bench/run.mjs
fi

# The HTTP transport (httpBatchLink, httpBatchStreamLink, SSE) against Go's net/http by hand:
# bench/httpbench, artifacts/bench-http.{md,json}. BENCH_HTTP=0 leaves it out.
if [ "${BENCH_BROWSER:-1}" != only ] && [ "${BENCH_HTTP:-1}" != 0 ]; then
  $GO build -o bench/.build/httpbench ./bench/httpbench
  echo >&2
  bench/.build/httpbench
fi

# The browser part: headless Chromium (Debian's package, installed here when missing, as
# e2e/run.sh does). BENCH_BROWSER=0 leaves it out, BENCH_BROWSER=only runs nothing else.
if [ "${BENCH_BROWSER:-1}" != 0 ]; then
  if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
    echo "bench: installing chromium (apt-get)" >&2
    SUDO=
    [ "$(id -u)" = 0 ] || SUDO=sudo
    { $SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends chromium; } >&2
  fi
  echo >&2
  "$NODE" bench/browser.mjs
fi
