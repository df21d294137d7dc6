// esbuild does not turn new URL('./trpcws.wasm', import.meta.url) into an asset, so the module's
// address comes from an import of the .wasm with esbuild's `file` loader (--loader:.wasm=file),
// which copies it next to the bundle under a content-hashed name. Imported before the module
// that creates the first client.
import { init } from 'trpcws';
import wasmUrl from 'trpcws/trpcws.wasm';

init(new URL(wasmUrl, import.meta.url));
