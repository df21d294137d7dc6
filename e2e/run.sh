#!/usr/bin/env bash
# End-to-end tests: the wasm client (web/) in real runtimes against the real @trpc/server
# (testserver/): Chromium (playwright-core), Firefox ESR (puppeteer-core) and WebKit (WebKitGTK's
# MiniBrowser through WebKitWebDriver under Xvfb: e2e/webkit.mjs) on the demo page,
# Chromium's network awareness (offline, online, visibilitychange: e2e/network-chromium.mjs),
# the back/forward cache (pagehide, pageshow: e2e/bfcache-chromium.mjs, and in WebKit),
# auth refresh (refreshAuth after a rotated token and a close with 4401: e2e/auth-chromium.mjs),
# Deno and Bun on a script, workerd on the example worker (examples/workerd), wrangler's bundle of
# examples/wrangler in workerd (e2e/wrangler.sh), Chromium with a CSP and a missing module
# (e2e/csp-chromium.mjs); the Go API
# compiled with GOOS=js GOARCH=wasm in a Chromium page (examples/gowasm); the package bundled
# by Vite 8 (examples/react-vite, React Query), webpack 5 and esbuild, each page in Chromium;
# the Next.js 16 App Router app examples/nextjs, `next build` + `next start`, its server rendering
# (no socket, no global) and the page in Chromium (e2e/nextjs.mjs).
#
#   bash e2e/run.sh          (make test-e2e; part of make test)
#
# Installs what it needs (npm ci in e2e/ and testserver/, Debian's chromium, firefox-esr,
# webkit2gtk-driver and xvfb with apt-get when missing, the wasm with ./build.sh when missing) and never skips a runtime: one it
# cannot install or start is a failure. Prints one PASS/FAIL line per runtime, then exactly
# "N passed, M failed"; exits non-zero on any failure. Logs: artifacts/e2e-logs/,
# screenshots: artifacts/chromium-demo.png, artifacts/webkit-demo.png; the versions it tested:
# artifacts/e2e-versions.json, against which e2e/support-table.mjs checks the support tables.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
E2E=$ROOT/e2e
LOGS=$ROOT/artifacts/e2e-logs
START=$(date +%s)
export NO_COLOR=1

die() { echo "e2e: $*" >&2; exit 1; }
mkdir -p "$LOGS" || die "cannot create $LOGS"
TMP=$(mktemp -d) || die "mktemp failed"

# ------------------------------------------------------------------ install

npm_ci() { # dir: npm ci when node_modules is missing or older than the lock file
  local dir=$1
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "e2e: npm ci in $dir"
    local log=$LOGS/npm-ci-${dir//\//-}.log
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) > "$log" 2>&1 \
      || { cat "$log" >&2; die "npm ci in $dir failed"; }
  fi
}
npm_ci testserver
npm_ci e2e
# web/'s npm node@22: wrangler needs Node >= 22.12.
npm_ci web
NODE22=$ROOT/web/node_modules/.bin/node
"$NODE22" --version > /dev/null 2>&1 || die "web/node_modules/.bin/node (npm node@22) does not run: reinstall with install scripts enabled (npm ci in web/)"

# Debian packages: the browsers, and for WebKit its WebDriver (webkit2gtk-driver brings WebKitGTK
# and its MiniBrowser) and the X server it runs on (xvfb).
APT=()
[ -x /usr/bin/chromium ] || APT+=(chromium)
[ -x /usr/bin/firefox-esr ] || APT+=(firefox-esr)
command -v WebKitWebDriver > /dev/null || APT+=(webkit2gtk-driver)
command -v Xvfb > /dev/null || APT+=(xvfb)
if [ ${#APT[@]} -gt 0 ]; then
  echo "e2e: installing ${APT[*]} (apt-get)"
  SUDO=
  if [ "$(id -u)" != 0 ]; then
    command -v sudo > /dev/null || die "${APT[*]} missing and not root: install them (apt-get install ${APT[*]})"
    SUDO=sudo
  fi
  { $SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${APT[@]}"; } \
    > "$LOGS/apt-get.log" 2>&1 || { tail -20 "$LOGS/apt-get.log" >&2; die "apt-get install ${APT[*]} failed"; }
fi
# WebKitGTK's MiniBrowser, the browser WebKitWebDriver starts (e2e/lib/webkit.mjs).
MINIBROWSER=$(dpkg -L libwebkit2gtk-4.1-0 2> /dev/null | grep '/MiniBrowser$' | head -1)
[ -x "$MINIBROWSER" ] || die "MiniBrowser not found in libwebkit2gtk-4.1-0 (apt-get install webkit2gtk-driver)"
export MINIBROWSER

if [ ! -f web/trpcws.wasm ] || [ ! -f web/wasm_exec.js ]; then
  echo "e2e: building the wasm (./build.sh)"
  ./build.sh > "$LOGS/build.log" 2>&1 || { cat "$LOGS/build.log" >&2; die "./build.sh failed"; }
fi

# A Go program compiled with GOOS=js GOARCH=wasm that uses the root package's Go API
# (examples/gowasm), served from artifacts/gowasm/ for gowasm-chromium.mjs.
echo "e2e: building examples/gowasm (GOOS=js GOARCH=wasm)"
mkdir -p artifacts/gowasm \
  && GOOS=js GOARCH=wasm go build -o artifacts/gowasm/main.wasm ./examples/gowasm > "$LOGS/gowasm-build.log" 2>&1 \
  && cp "$(go env GOROOT)/lib/wasm/wasm_exec.js" examples/gowasm/index.html artifacts/gowasm/ \
  || { cat "$LOGS/gowasm-build.log" >&2; die "building examples/gowasm failed"; }

# The web package as `npm install trpcws` would lay it out (exactly the files `npm pack` ships),
# next to @trpc/client in e2e/node_modules: Bun and workerd import it from there.
tgz=$(cd web && npm pack --pack-destination "$TMP" --silent 2> "$LOGS/npm-pack.log") \
  || { cat "$LOGS/npm-pack.log" >&2; die "npm pack web/ failed"; }
# The bundler checks install trpcws from web/ too ("file:../../web", packed by npm: .npmrc
# install-links), so npm ci there needs the wasm built; the copy is refreshed on every run.
npm_ci examples/react-vite
npm_ci e2e/bundlers
npm_ci examples/nextjs
for d in e2e examples/react-vite e2e/bundlers examples/nextjs; do
  rm -rf "$d/node_modules/trpcws" && mkdir -p "$d/node_modules/trpcws" \
    && tar -xzf "$TMP/$tgz" -C "$d/node_modules/trpcws" --strip-components=1 \
    || die "unpacking $tgz into $d failed"
done

# ------------------------------------------------------------------ versions

BIN=$E2E/node_modules/.bin
pkgv() { node -p "require('$1/package.json').version" 2>/dev/null || echo '?'; }
V_CHROMIUM=$(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}')
V_FIREFOX=$(/usr/bin/firefox-esr --version 2>/dev/null | awk '{print $3}')
V_WEBKIT=$(dpkg-query -W -f '${Version}' libwebkit2gtk-4.1-0 2>/dev/null | sed 's/-.*//')
V_DENO=$("$BIN/deno" --version 2>/dev/null | awk 'NR==1{print $2}')
V_BUN=$("$BIN/bun" --version 2>/dev/null)
V_WORKERD=$("$BIN/workerd" --version 2>/dev/null | awk '{print $2}')
V_WRANGLER=$(pkgv "$E2E/node_modules/wrangler")
V_PLAYWRIGHT=$(pkgv "$E2E/node_modules/playwright-core")
V_PUPPETEER=$(pkgv "$E2E/node_modules/puppeteer-core")
V_CLIENT=$(pkgv "$E2E/node_modules/@trpc/client")
V_SERVER=$(pkgv "$ROOT/testserver/node_modules/@trpc/server")
V_VITE=$(pkgv "$ROOT/examples/react-vite/node_modules/vite")
V_REACT=$(pkgv "$ROOT/examples/react-vite/node_modules/react")
V_RQ=$(pkgv "$ROOT/examples/react-vite/node_modules/@tanstack/react-query")
V_TRQ=$(pkgv "$ROOT/examples/react-vite/node_modules/@trpc/tanstack-react-query")
V_NEXT=$(pkgv "$ROOT/examples/nextjs/node_modules/next")
V_WEBPACK=$(pkgv "$E2E/bundlers/node_modules/webpack")
V_ESBUILD=$(pkgv "$E2E/bundlers/node_modules/esbuild")
echo
echo "runtime       version                   driven by"
printf '%-13s %-25s %s\n' \
  chromium "${V_CHROMIUM:-missing}" "playwright-core $V_PLAYWRIGHT (Debian package)" \
  firefox-esr "${V_FIREFOX:-missing}" "puppeteer-core $V_PUPPETEER, WebDriver BiDi (Debian package)" \
  webkitgtk "${V_WEBKIT:-missing}" "WebKitWebDriver + MiniBrowser under Xvfb, W3C WebDriver (Debian webkit2gtk-driver)" \
  deno "${V_DENO:-missing}" "npm deno $(pkgv "$E2E/node_modules/deno")" \
  bun "${V_BUN:-missing}" "npm bun $(pkgv "$E2E/node_modules/bun")" \
  workerd "${V_WORKERD:-missing}" "npm workerd $(pkgv "$E2E/node_modules/workerd")" \
  node "$(node --version)" "runs the test server and the browser drivers"
# What this run tested, for the support tables (e2e/support-table.mjs checks README.md and docs/js.md).
V_NODE=$(node --version | sed 's/^v//') V_NODE22=$("$NODE22" --version | sed 's/^v//') V_GO=$(go env GOVERSION | sed 's/^go//') \
  V_WORKERD_NPM=$(pkgv "$E2E/node_modules/workerd") V_CHROMIUM=$V_CHROMIUM V_FIREFOX=$V_FIREFOX V_WEBKIT=$V_WEBKIT \
  V_DENO=$V_DENO V_BUN=$V_BUN V_WRANGLER=$V_WRANGLER V_VITE=$V_VITE V_REACT=$V_REACT V_RQ=$V_RQ V_TRQ=$V_TRQ \
  V_WEBPACK=$V_WEBPACK V_ESBUILD=$V_ESBUILD V_NEXT=$V_NEXT node -e '
    const e = process.env;
    const v = { chromium: e.V_CHROMIUM, firefox: e.V_FIREFOX, webkitgtk: e.V_WEBKIT, node: e.V_NODE, node22: e.V_NODE22,
      deno: e.V_DENO, bun: e.V_BUN, workerd: e.V_WORKERD_NPM, wrangler: e.V_WRANGLER, go: e.V_GO, vite: e.V_VITE,
      react: e.V_REACT, "react-query": e.V_RQ, "trpc-react-query": e.V_TRQ, webpack: e.V_WEBPACK, esbuild: e.V_ESBUILD, next: e.V_NEXT };
    for (const k in v) if (!v[k] || v[k] === "?") delete v[k];
    require("fs").writeFileSync(process.argv[1], JSON.stringify(v, null, 2) + "\n");' "$ROOT/artifacts/e2e-versions.json" \
  || die "writing artifacts/e2e-versions.json failed"
echo "@trpc/client $V_CLIENT (in the tests), @trpc/server $V_SERVER (test server), trpcws $(pkgv "$E2E/node_modules/trpcws") (web/)"
echo "bundlers: vite $V_VITE (React $V_REACT, @tanstack/react-query $V_RQ, @trpc/tanstack-react-query $V_TRQ with @trpc/client $(pkgv "$ROOT/examples/react-vite/node_modules/@trpc/client")), webpack $V_WEBPACK, esbuild $V_ESBUILD"
echo "next.js: next $V_NEXT (React $(pkgv "$ROOT/examples/nextjs/node_modules/react"), @tanstack/react-query $(pkgv "$ROOT/examples/nextjs/node_modules/@tanstack/react-query"), @trpc/client $(pkgv "$ROOT/examples/nextjs/node_modules/@trpc/client")), next build and next start on Node $("$NODE22" --version)"
echo

# ------------------------------------------------------------------ test server

SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2> /dev/null
    wait "$SERVER_PID" 2> /dev/null
  fi
  exec 7>&-
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The server's stdin is a pipe this shell holds open (fd 7): if this script is killed, even with
# SIGKILL, the pipe closes and the server exits by itself.
mkfifo "$TMP/server.in"
node testserver/server.mjs --port 0 --static "$ROOT" < "$TMP/server.in" > "$TMP/server.out" 2> "$LOGS/testserver.log" &
SERVER_PID=$!
exec 7> "$TMP/server.in"
PORT=
for _ in $(seq 100); do
  PORT=$(sed -n 's/^LISTENING //p' "$TMP/server.out")
  [ -n "$PORT" ] && break
  kill -0 "$SERVER_PID" 2> /dev/null || break
  sleep 0.1
done
[ -n "$PORT" ] || { cat "$LOGS/testserver.log" >&2; die "the test server did not start"; }
BASE=http://127.0.0.1:$PORT
echo "test server: $BASE (@trpc/server $V_SERVER, static files from the repo root)"
echo

# ------------------------------------------------------------------ tests

PASSED=0
FAILED=0
RESULTS=()
run_test() { # name version-label timeout-seconds command...
  local name=$1 label=$2 limit=$3
  shift 3
  local log=$LOGS/$name.log t0=$SECONDS rc
  echo "-- $name ($label)"
  timeout -k 5 "$limit" "$@" 7>&- > "$log" 2>&1
  rc=$?
  sed 's/^/   /' "$log" | grep -v 'page console.error: .*ERR_CONNECTION_REFUSED' | tail -n 30
  local line
  if [ $rc = 0 ]; then
    PASSED=$((PASSED + 1))
    line=$(printf 'PASS  %-12s %-40s %3ds' "$name" "$label" $((SECONDS - t0)))
  else
    FAILED=$((FAILED + 1))
    [ $rc = 124 ] && echo "   (killed after ${limit}s)"
    line=$(printf 'FAIL  %-12s %-40s %3ds  (exit %d; log: %s)' "$name" "$label" $((SECONDS - t0)) $rc "${log#"$ROOT"/}")
  fi
  echo "$line"
  RESULTS+=("$line")
}

run_test chromium "chromium ${V_CHROMIUM:-?}" 90 node e2e/chromium.mjs "$BASE"
run_test network "chromium ${V_CHROMIUM:-?}, network events, max age" 120 node e2e/network-chromium.mjs "$BASE"
run_test bfcache "chromium ${V_CHROMIUM:-?}, back/forward cache" 90 node e2e/bfcache-chromium.mjs "$BASE"
run_test auth "chromium ${V_CHROMIUM:-?}, auth refresh" 90 node e2e/auth-chromium.mjs "$BASE"
run_test csp "chromium ${V_CHROMIUM:-?}, CSP and load failures" 60 node e2e/csp-chromium.mjs "$BASE"
run_test gowasm "chromium ${V_CHROMIUM:-?}, Go API in Go wasm" 90 node e2e/gowasm-chromium.mjs "$BASE"
run_test firefox "firefox-esr ${V_FIREFOX:-?}" 90 node e2e/firefox.mjs "$BASE"
WEBKIT_VERSION=$V_WEBKIT run_test webkit "webkitgtk ${V_WEBKIT:-?}" 200 node e2e/webkit.mjs "$BASE"
run_test deno "deno ${V_DENO:-?}" 45 "$BIN/deno" run --no-prompt --import-map=e2e/deno-import-map.json \
  --allow-net="127.0.0.1:$PORT,127.0.0.1:9" --allow-read=web/trpcws.wasm e2e/runtime-smoke.mjs "$BASE"
run_test bun "bun ${V_BUN:-?}" 45 "$BIN/bun" e2e/runtime-smoke.mjs "$BASE"
run_test workerd "workerd ${V_WORKERD:-?}" 60 bash e2e/workerd.sh "$BASE"
run_test wrangler "wrangler $V_WRANGLER bundle in workerd" 90 bash e2e/wrangler.sh "$BASE" "$NODE22"
run_test react-vite "vite $V_VITE, React $V_REACT, chromium" 150 \
  bash -c 'bash e2e/bundlers/build.sh vite && exec node e2e/react-vite.mjs "$1"' _ "$BASE"
run_test webpack "webpack $V_WEBPACK, chromium" 120 \
  bash -c 'bash e2e/bundlers/build.sh webpack && exec node e2e/bundlers/check.mjs webpack "$1"' _ "$BASE"
run_test esbuild "esbuild $V_ESBUILD, chromium" 90 \
  bash -c 'bash e2e/bundlers/build.sh esbuild && exec node e2e/bundlers/check.mjs esbuild "$1"' _ "$BASE"
run_test nextjs "next $V_NEXT build+start, chromium" 300 node e2e/nextjs.mjs "$BASE" "$NODE22"
run_test support-table "README.md, docs/js.md" 30 node e2e/support-table.mjs "$ROOT/artifacts/e2e-versions.json"

echo
echo "== e2e summary ($(($(date +%s) - START)) s)"
printf '%s\n' "${RESULTS[@]}"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
