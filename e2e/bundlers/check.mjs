// One bundler's page (built by e2e/bundlers/build.sh NAME into dist-NAME/) in Chromium against
// the real server: the .wasm the bundler emitted is found by the page with no copy step, loaded
// once, and the query is answered.
// usage: node e2e/bundlers/check.mjs webpack|esbuild http://127.0.0.1:PORT
import fs from 'node:fs';
import path from 'node:path';
import { launchChromium } from '../lib/chromium.mjs';
import { check, checkEqual, waitFor } from '../lib/check.mjs';
import { watchPage } from '../lib/demo-page.mjs';
import { startStatic } from '../lib/static-server.mjs';

const [name, base] = process.argv.slice(2);
const dist = path.resolve(import.meta.dirname, `dist-${name}`);
const t0 = Date.now();
const log = (s) => console.log(`[${name} +${((Date.now() - t0) / 1000).toFixed(1)}s] ${s}`);
setTimeout(() => { console.error(`[${name}] overall timeout (60 s)`); process.exit(1); }, 60000).unref();

const wasmFiles = fs.readdirSync(dist).filter((f) => f.endsWith('.wasm'));
check(wasmFiles.length === 1, `${name} emitted exactly one .wasm (got ${JSON.stringify(wasmFiles)})`);
const shipped = fs.readFileSync(path.resolve(import.meta.dirname, 'node_modules/trpcws/trpcws.wasm'));
check(fs.readFileSync(path.join(dist, wasmFiles[0])).equals(shipped), `dist-${name}/${wasmFiles[0]} is the package's trpcws.wasm`);
log(`${name} emitted ${wasmFiles[0]}`);

const statics = await startStatic(dist);
const { context, profile } = await launchChromium(`trpcws-${name}-`);
let code = 1;
try {
  const page = await context.newPage();
  const noPageErrors = watchPage(page, log);
  await page.goto(`${statics.url}/?ws=${encodeURIComponent(base.replace(/^http/, 'ws'))}`);
  const result = await waitFor(() => page.evaluate(() => {
    if (window.__error) throw new Error(`page: ${window.__error}`);
    return window.__result;
  }), 'the query to be answered', 20000);
  checkEqual(result, `hello from ${name}`, 'query result');
  checkEqual(await page.locator('#out').textContent(), `hello from ${name}`, 'result shown');
  const wasmGets = statics.requests.filter((r) => r.path.endsWith('.wasm'));
  checkEqual(wasmGets.map((r) => [r.path, r.status]), [[`/${wasmFiles[0]}`, 200]], 'the page fetched the emitted .wasm once');
  check(statics.requests.every((r) => r.status === 200), `no request failed: ${JSON.stringify(statics.requests)}`);
  log(`query echo → ${JSON.stringify(result)}; requests: ${statics.requests.map((r) => r.path).join(' ')}`);
  noPageErrors();
  code = 0;
} catch (err) {
  console.error(`[${name}] FAIL: ${err?.stack ?? err}`);
} finally {
  await context.close().catch(() => {});
  await statics.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
process.exit(code);
