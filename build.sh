#!/usr/bin/env bash
# Builds the WebAssembly client: web/trpcws.wasm from ./wasm, and copies the
# matching wasm_exec.js from the Go toolchain beside it (both git-ignored).
# Prints the raw and gzip -9 sizes.
set -euo pipefail
cd "$(dirname "$0")"

GOOS=js GOARCH=wasm go build -trimpath -ldflags='-s -w' -o web/trpcws.wasm ./wasm
cp "$(go env GOROOT)/lib/wasm/wasm_exec.js" web/wasm_exec.js

raw=$(wc -c < web/trpcws.wasm | tr -d ' ')
gz=$(gzip -9 -c web/trpcws.wasm | wc -c | tr -d ' ')
echo "web/trpcws.wasm: ${raw} bytes raw, ${gz} bytes gzip -9"
