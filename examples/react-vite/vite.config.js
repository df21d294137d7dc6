import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Nothing here for trpcws: its loader's new URL('./trpcws.wasm', import.meta.url) makes
// `vite build` emit dist/assets/trpcws-<hash>.wasm and point at it, and the dev server serves it.
export default defineConfig({
  plugins: [react()],
});
