// Test hooks, outside the package's public surface (package.json's
// "exports" does not list this file): tests import it by path.
import { init, wasm } from './load.js';

/**
 * Panics inside the Go instance on purpose (kind 0: nil pointer write, 1:
 * panic(string), 2: index out of range). Rejects with the Error the panic
 * became; the instance keeps working.
 */
export async function panicForTest(kind = 0) {
  await init();
  wasm.done(wasm.x.trpcws_panic(kind));
}
