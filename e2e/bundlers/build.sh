#!/usr/bin/env bash
# Builds one page of the bundler checks: the same package (trpcws from web/, as npm pack ships it,
# in node_modules) bundled by a given bundler into e2e/bundlers/dist-NAME/ (or, for vite,
# examples/react-vite/dist/).
#   bash e2e/bundlers/build.sh webpack|esbuild|vite
set -euo pipefail
cd "$(dirname "$0")"
page() { # dir bundler script-tag
  cat > "$1/index.html" <<HTML
<!doctype html>
<html data-bundler="$2">
<meta charset="utf-8">
<link rel="icon" href="data:,">
<title>trpcws · $2</title>
<pre id="out">loading…</pre>
$3
HTML
}
case "${1:-}" in
  webpack)
    # No configuration file: webpack 5 emits the .wasm found by new URL(..., import.meta.url)
    # as an asset by itself.
    rm -rf dist-webpack
    npx webpack --mode production --entry ./app.js --output-path dist-webpack --output-filename 'main.[contenthash].js' --no-stats
    js=$(cd dist-webpack && ls main.*.js)
    page dist-webpack webpack "<script src=\"$js\"></script>"
    ;;
  esbuild)
    rm -rf dist-esbuild
    npx esbuild esbuild-entry.js --bundle --format=esm --minify --outdir=dist-esbuild \
      --entry-names='[name]-[hash]' --asset-names='[name]-[hash]' --loader:.wasm=file --log-level=warning
    js=$(cd dist-esbuild && ls esbuild-entry-*.js)
    page dist-esbuild esbuild "<script type=\"module\" src=\"$js\"></script>"
    ;;
  vite)
    cd ../../examples/react-vite
    rm -rf dist
    npx vite build --logLevel warn
    # The shipped precompressed copies are valid for vite's hashed copy (same bytes): docs/serving.md,
    # "Files, content types and compression".
    for f in dist/assets/trpcws-*.wasm; do
      cmp -s "$f" node_modules/trpcws/trpcws.wasm || { echo "$f differs from trpcws.wasm" >&2; exit 1; }
      cp node_modules/trpcws/trpcws.wasm.br "$f.br"
      cp node_modules/trpcws/trpcws.wasm.gz "$f.gz"
    done
    ;;
  *)
    echo "usage: build.sh webpack|esbuild|vite" >&2
    exit 2
    ;;
esac
