#!/usr/bin/env bash
# Builds the WebAssembly client: web/trpcws.wasm from ./wasm (its data
# segments merged after linking), and copies the
# matching wasm_exec.js from the Go toolchain beside it (all git-ignored).
# Also writes the precompressed copies a server or CDN can hand out as they
# are: web/trpcws.wasm.gz (gzip -9) and web/trpcws.wasm.br (brotli quality
# 11, large window, through Node's zlib: no brotli binary needed).
# Prints the raw, gzip -9 and brotli sizes.
set -euo pipefail
cd "$(dirname "$0")"

# Go's linker writes one data segment per run of non-zero bytes (about
# 26,000); internal/wasmmerge joins those within 4 KB of each other into a
# few (same memory at start-up, about 43 KB less gzip). set -e: if it cannot
# run, the build fails rather than ship the unmerged module.
tmp=$(mktemp --suffix=.wasm)
trap 'rm -f "$tmp"' EXIT
GOOS=js GOARCH=wasm go build -trimpath -ldflags='-s -w' -o "$tmp" ./wasm
go run ./internal/wasmmerge -gap 4096 "$tmp" web/trpcws.wasm
cp "$(go env GOROOT)/lib/wasm/wasm_exec.js" web/wasm_exec.js

# -n: no name or time stamp in the header, so the same .wasm gives the same .gz.
gzip -9 -n -c web/trpcws.wasm > web/trpcws.wasm.gz
node -e '
const fs = require("node:fs");
const zlib = require("node:zlib");
const [src, dst] = process.argv.slice(1);
const data = fs.readFileSync(src);
const out = zlib.brotliCompressSync(data, { params: {
  [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
  [zlib.constants.BROTLI_PARAM_LGWIN]: 24,
  [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_GENERIC,
  [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length,
} });
if (!zlib.brotliDecompressSync(out).equals(data)) throw new Error("brotli round trip failed");
fs.writeFileSync(dst, out);
' web/trpcws.wasm web/trpcws.wasm.br

raw=$(wc -c < web/trpcws.wasm | tr -d ' ')
gz=$(wc -c < web/trpcws.wasm.gz | tr -d ' ')
br=$(wc -c < web/trpcws.wasm.br | tr -d ' ')
echo "web/trpcws.wasm: ${raw} bytes raw, ${gz} bytes gzip -9 (.wasm.gz), ${br} bytes brotli 11 (.wasm.br)"
