import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Nothing is needed for trpcws to work: its loader's new URL('./trpcws.wasm', import.meta.url)
// makes `vite build` emit dist/assets/trpcws-<hash>.wasm and point at it, and the dev server
// serves it. This plugin is the optional start-up recipe: a <link rel="preload"> for that file
// in <head>, so the browser downloads the module while it is still fetching and running the
// app's JavaScript; the loader's fetch() then takes the preloaded response (same URL, mode
// and credentials: as="fetch" with crossorigin).
function preloadTrpcwsWasm() {
  let base = '/';
  return {
    name: 'preload-trpcws-wasm',
    apply: 'build',
    configResolved(config) {
      base = config.base;
    },
    transformIndexHtml: {
      order: 'post',
      handler(html, ctx) {
        const wasm = Object.keys(ctx.bundle ?? {}).find((f) => /(^|\/)trpcws-[\w-]+\.wasm$/.test(f));
        if (!wasm) return html;
        return [{
          tag: 'link',
          attrs: { rel: 'preload', href: base + wasm, as: 'fetch', type: 'application/wasm', crossorigin: true },
          injectTo: 'head',
        }];
      },
    },
  };
}

export default defineConfig({
  plugins: [react(), preloadTrpcwsWasm()],
});
