#!/usr/bin/env bash
# The npm package as a user gets it: packs web/ (npm pack, so prepack runs),
# checks the tarball's contents (LICENSE, the wasm and its compressed copies,
# no test-only code), installs it into a scratch app beside @trpc/client and
# @trpc/server 11.25.2, and answers a query, a mutation and a subscription
# through it against the real test server, in Node 22.
#
#   bash web/test/pack.sh [DEST]   # DEST: keep the tarball there (make release)
#
# Needs the built wasm (make build) and npm ci in web/ and testserver/.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
die() { echo "web/test/pack.sh: $*" >&2; exit 1; }

NODE22=$ROOT/web/node_modules/.bin/node
[ -x "$NODE22" ] || die "web/node_modules/.bin/node missing: npm ci in web/"
[ -d testserver/node_modules ] || die "testserver/node_modules missing: npm ci in testserver/"

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

VERSION=$(node -p 'require("./web/package.json").version')
(cd web && npm pack --silent --pack-destination "$WORK" > /dev/null) || die "npm pack failed"
TGZ=$WORK/trpcws-$VERSION.tgz
[ -f "$TGZ" ] || die "npm pack wrote no $TGZ"

# Contents: what a user needs, nothing a test needs.
LIST=$(tar -tzf "$TGZ")
for f in package/LICENSE package/README.md package/package.json package/index.js package/index.d.ts \
  package/globals.js package/wasm_exec.js package/trpcws.wasm package/trpcws.wasm.br package/trpcws.wasm.gz; do
  grep -qx "$f" <<<"$LIST" || die "$f is not in the tarball"
done
! grep -q '^package/lib/testing.js$' <<<"$LIST" || die "lib/testing.js (test-only) is in the tarball"
! grep -q '^package/test/' <<<"$LIST" || die "web/test/ is in the tarball"
cmp -s <(tar -xzOf "$TGZ" package/LICENSE) LICENSE || die "the tarball's LICENSE differs from ./LICENSE"
cmp -s <(tar -xzOf "$TGZ" package/trpcws.wasm) web/trpcws.wasm || die "the tarball's trpcws.wasm is not web/trpcws.wasm"
echo "pack: $(basename "$TGZ"), $(wc -c < "$TGZ" | tr -d ' ') bytes, $(wc -l <<<"$LIST" | tr -d ' ') files"

# A scratch app that installs the tarball as a user would.
APP=$WORK/app
mkdir -p "$APP"
cat > "$APP/package.json" <<'JSON'
{ "name": "scratch-app", "private": true, "type": "module" }
JSON
cat > "$APP/app.mjs" <<'JS'
import { createTRPCClient } from '@trpc/client';
import { createWSClient, wsLink } from 'trpcws';

const wsClient = createWSClient({ url: process.env.SERVER_URL });
const trpc = createTRPCClient({ links: [wsLink({ client: wsClient })] });
const echo = await trpc.echo.query('from the tarball');
const sum = await trpc.add.mutate({ a: 40, b: 2 });
const ids = await new Promise((resolve, reject) => {
  const seen = [];
  trpc.events.subscribe({ max: 3 }, {
    onData: (ev) => seen.push(ev.id),
    onError: reject,
    onComplete: () => resolve(seen),
  });
});
await wsClient.close();
console.log(JSON.stringify({ echo, sum, ids }));
JS
(cd "$APP" && npm install --no-audit --no-fund --loglevel=error --prefer-offline \
  "$TGZ" @trpc/client@11.25.2 @trpc/server@11.25.2 > /dev/null) || die "npm install of the tarball failed"

OUT=$WORK/server.out
node testserver/server.mjs --port 0 --quiet --ignore-stdin < /dev/null > "$OUT" &
SERVER_PID=$!
port=
for _ in $(seq 300); do
  port=$(sed -n 's/^LISTENING //p' "$OUT")
  [ -n "$port" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || die "the test server exited"
  sleep 0.1
done
[ -n "$port" ] || die "the test server did not start"

got=$(cd "$APP" && SERVER_URL="ws://127.0.0.1:$port" "$NODE22" app.mjs) || die "the scratch app failed"
want='{"echo":"from the tarball","sum":42,"ids":["1","2","3"]}'
[ "$got" = "$want" ] || die "the scratch app printed $got, want $want"
echo "pack: the installed tarball answered a query, a mutation and a subscription: $got"

if [ $# -gt 0 ]; then
  mkdir -p "$1" && cp "$TGZ" "$1/" && echo "pack: kept $1/$(basename "$TGZ")"
fi
