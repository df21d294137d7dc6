#!/usr/bin/env bash
# Builds the WebAssembly client: web/trpcws.wasm from ./wasm, and copies the
# matching wasm_exec.js from the Go toolchain beside it (all git-ignored).
# Also writes the precompressed copies a server or CDN can hand out as they
# are: web/trpcws.wasm.gz (gzip -9) and web/trpcws.wasm.br (brotli quality
# 11, large window, through Node's zlib: no brotli binary needed).
# Prints the raw, gzip -9 and brotli sizes.
set -euo pipefail
cd "$(dirname "$0")"

GOOS=js GOARCH=wasm go build -trimpath -ldflags='-s -w' -o web/trpcws.wasm ./wasm
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
