import './esbuild-wasm.js';
import './app.js';
