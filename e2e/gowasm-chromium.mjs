// Chromium (Debian's /usr/bin/chromium, playwright-core): a Go program compiled with
// GOOS=js GOARCH=wasm (examples/gowasm) uses the trpcws Go API in a page, over the browser's
// WebSocket: query, typed mutation, server error, a tracked subscription across a dropped
// socket (resumed with no gap and no duplicate), Close.
// usage: node gowasm-chromium.mjs http://127.0.0.1:PORT   (run.sh builds artifacts/gowasm/ first)
import fs from 'node:fs';
import { launchChromium } from './lib/chromium.mjs';
import { check, checkContiguous, control, waitFor } from './lib/check.mjs';
import { watchPage } from './lib/demo-page.mjs';

const base = process.argv[2];
const t0 = Date.now();
const log = (s) => console.log(`[gowasm +${((Date.now() - t0) / 1000).toFixed(1)}s] ${s}`);
setTimeout(() => { console.error('[gowasm] overall timeout (80 s)'); process.exit(1); }, 80000).unref();

const { context, profile } = await launchChromium('trpcws-gowasm-');
let code = 1;
try {
  await control(base, 'reset');
  const page = context.pages()[0] ?? await context.newPage();
  const noPageErrors = watchPage(page, log);
  // ?drop: the Go program has the server drop every socket after event 3.
  await page.goto(`${base}/artifacts/gowasm/index.html?drop`);
  const lines = async () => (await page.textContent('#out')).split('\n').filter(Boolean);
  const status = await waitFor(async () => {
    const s = await page.textContent('#status');
    return s !== 'loading' && s;
  }, 'the Go program to finish', 30000);
  const out = await lines();
  log(`page output:\n${out.join('\n')}`);
  check(status === 'done', `status "${status}"`);
  check(out.includes('echo {"from":"go wasm"}'), 'the query result');
  check(out.includes('add 42'), 'the typed mutation result');
  check(out.includes('error NOT_FOUND 404'), 'the server error');
  const ids = out.filter((l) => l.startsWith('event ')).map((l) => l.split(' ')[1]);
  checkContiguous(ids, 1, 8, 'tracked events across the drop');
  const states = out.filter((l) => l.startsWith('state ')).map((l) => l.slice(6));
  check(states.join(',').includes('pending,connecting,pending'), `a reconnect in the states (${states})`);
  check(out.includes('closed idle'), 'Close leaves the client idle');
  noPageErrors();
  code = 0;
} catch (err) {
  console.error(`[gowasm] FAIL: ${err?.stack ?? err}`);
} finally {
  await context.close().catch(() => {});
  fs.rmSync(profile, { recursive: true, force: true });
}
process.exit(code);
