// Records which globals existed before wasm_exec.js runs: it installs
// stand-ins for `fs`, `process` and `path` when they are missing (and
// `Go`), and index.js removes the ones it added once Go has started, so a
// browser page does not end up with a fake `process`. index.js imports this
// module first, then wasm_exec.js.
export const before = {
  fs: 'fs' in globalThis,
  process: 'process' in globalThis,
  path: 'path' in globalThis,
  Go: globalThis.Go,
  hadGo: 'Go' in globalThis,
};
