// Records which globals existed before wasm_exec.js runs: it installs
// stand-ins for `fs`, `process` and `path` when they are missing (and
// `Go`), and lib/load.js removes the ones it added right after, putting
// them back only while Go starts (and `fs` while the Go runtime writes), so
// importing the package defines nothing on globalThis. index.js imports this
// module first, then wasm_exec.js.
export const before = {
  fs: 'fs' in globalThis,
  process: 'process' in globalThis,
  path: 'path' in globalThis,
  Go: globalThis.Go,
  hadGo: 'Go' in globalThis,
};
