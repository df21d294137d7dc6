// npm pack / npm publish run this first: the package is useless without the
// built module, so packing without it fails loudly instead of shipping a
// tarball that cannot load. Build it with `make build` (or ./build.sh) at the
// repository root.
import { existsSync, readFileSync, statSync } from 'node:fs';

const here = new URL('../', import.meta.url);
const missing = ['trpcws.wasm', 'trpcws.wasm.br', 'trpcws.wasm.gz', 'wasm_exec.js', 'LICENSE'].filter((f) => {
  const u = new URL(f, here);
  return !existsSync(u) || statSync(u).size === 0;
});
if (missing.length > 0) {
  console.error(`trpcws prepack: ${missing.join(', ')} missing in web/: run \`make build\` at the repository root first`);
  process.exit(1);
}
const wasm = readFileSync(new URL('trpcws.wasm', here));
if (wasm.subarray(0, 4).toString('latin1') !== '\0asm') {
  console.error('trpcws prepack: web/trpcws.wasm is not a WebAssembly module: run `make build`');
  process.exit(1);
}
