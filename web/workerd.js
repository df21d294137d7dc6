// The package's entry in Cloudflare Workers and workerd (the `workerd` and
// `worker` export conditions, which wrangler's bundler applies). Workers
// refuse to compile WebAssembly at run time, so the module is imported as a
// WebAssembly.Module, the way wrangler and workerd accept a .wasm import,
// and the first client starts it: no init() step. Everything else is
// index.js.
import wasmModule from './trpcws.wasm';
import { setDefaultModule } from './lib/load.js';

setDefaultModule(wasmModule);

export * from './index.js';
