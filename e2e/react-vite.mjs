// examples/react-vite, built by `vite build` (e2e/bundlers/build.sh), driven in Chromium against
// the real server: useQuery, useMutation, useSubscription on the tracked feed, the connection
// state shown, then a server restart: the feed resumes with no gap and no duplicate. The built
// files are served as README's "Serving the wasm" says (e2e/lib/static-server.mjs): the hashed
// .wasm with Content-Encoding br from the copied trpcws.wasm.br, compiled by compileStreaming.
// usage: node e2e/react-vite.mjs http://127.0.0.1:PORT   (the test server)
import fs from 'node:fs';
import path from 'node:path';
import { launchChromium, recordWasmCompiles } from './lib/chromium.mjs';
import { check, checkContiguous, checkEqual, control, waitFor } from './lib/check.mjs';
import { watchPage } from './lib/demo-page.mjs';
import { startStatic } from './lib/static-server.mjs';

const base = process.argv[2];
const dist = path.resolve(import.meta.dirname, '../examples/react-vite/dist');
const shot = path.resolve(import.meta.dirname, '../artifacts/react-vite.png');
const t0 = Date.now();
const log = (s) => console.log(`[react-vite +${((Date.now() - t0) / 1000).toFixed(1)}s] ${s}`);
setTimeout(() => { console.error('[react-vite] overall timeout (80 s)'); process.exit(1); }, 80000).unref();

check(fs.existsSync(path.join(dist, 'index.html')), `${dist}/index.html exists (vite build ran)`);
const wasmFiles = fs.readdirSync(path.join(dist, 'assets')).filter((f) => f.endsWith('.wasm'));
check(wasmFiles.length === 1 && /^trpcws-[\w-]+\.wasm$/.test(wasmFiles[0]),
  `vite emitted exactly one content-hashed trpcws-<hash>.wasm (got ${JSON.stringify(wasmFiles)})`);
log(`vite emitted assets/${wasmFiles[0]}`);
const html = fs.readFileSync(path.join(dist, 'index.html'), 'utf8');
check(html.includes(`<link rel="preload" href="/assets/${wasmFiles[0]}" as="fetch" type="application/wasm" crossorigin>`),
  'index.html preloads the .wasm (vite.config.js plugin)');

const statics = await startStatic(dist);
const wsUrl = base.replace(/^http/, 'ws');
const pageUrl = `${statics.url}/?ws=${encodeURIComponent(wsUrl)}`;
const { context, profile } = await launchChromium('trpcws-react-', { viewport: { width: 900, height: 760 } });
// Records how the page compiles WebAssembly, to check that the streaming path is taken.
await context.addInitScript(recordWasmCompiles);

const app = (page) => page.evaluate(() => JSON.parse(JSON.stringify(window.__app ?? null)));
const text = (page, id) => page.evaluate((s) => document.querySelector(`[data-testid="${s}"]`)?.textContent ?? null, id);
const feedIds = (page) => page.evaluate(() => [...document.querySelectorAll('[data-testid="feed-item"]')].map((li) => li.dataset.id));
const until = (page, what, pred, ms = 15000) => waitFor(async () => {
  const a = await app(page);
  return a && pred(a) ? a : null;
}, what, ms);

async function post(page, user, msg) {
  await page.evaluate(() => { delete window.__app.posted; });
  await page.locator('[data-testid="post-user"]').fill(user);
  await page.locator('[data-testid="post-text"]').fill(msg);
  await page.locator('[data-testid="post-submit"]').click();
  const a = await until(page, `the mutation posting ${JSON.stringify(msg)}`, (a) => a.posted || a.postError);
  check(!a.postError, `postMessage failed in the page: ${a.postError}`);
  return a.posted;
}

let code = 1;
let page;
try {
  await control(base, 'reset');
  page = await context.newPage();
  const noPageErrors = watchPage(page, log);
  const preloadWarnings = [];
  page.on('console', (m) => { if (/preload/i.test(m.text())) preloadWarnings.push(m.text()); });
  const wasmResponse = page.waitForResponse((r) => r.url().endsWith('.wasm'));
  await page.goto(pageUrl);

  const resp = await wasmResponse;
  const h = await resp.allHeaders();
  checkEqual([h['content-type'], h['content-encoding']], ['application/wasm', 'br'], 'wasm response Content-Type and Content-Encoding');
  check(/immutable/.test(h['cache-control'] ?? ''), `hashed wasm cached as immutable (cache-control: ${h['cache-control']})`);
  log(`wasm: ${new URL(resp.url()).pathname}, ${h['content-type']}, content-encoding ${h['content-encoding']}, ${h['content-length']} bytes on the wire`);

  // useQuery
  await until(page, 'the useQuery result', (a) => a.echo !== undefined);
  checkEqual(await text(page, 'echo'), 'hello from React', 'useQuery result shown');
  const a0 = await until(page, 'connected, subscription started', (a) => a.state === 'pending' && a.starts >= 1);
  checkEqual(await text(page, 'conn-state'), 'pending', 'connection state shown');
  checkEqual(await page.evaluate(() => window.__wasmCompiles), ['compileStreaming'], 'the module was compiled by compileStreaming');
  checkEqual(statics.requests.filter((r) => r.path.endsWith('.wasm')).length, 1, 'the .wasm was downloaded once (the preload was used)');
  checkEqual(preloadWarnings, [], 'no console warning about the preload');
  log(`useQuery echo → "hello from React"; states ${a0.states.join(' → ')}; subscription ${a0.subStatus}`);

  // useMutation ×3 → useSubscription feed
  for (let i = 1; i <= 3; i++) {
    const m = await post(page, 'react', `message ${i}`);
    checkEqual([m.id, m.text, m.user], [String(i), `message ${i}`, 'react'], `postMessage #${i} result`);
  }
  await waitFor(async () => (await text(page, 'post-result')) === 'posted #3', 'mutation result shown');
  const a1 = await until(page, '3 events in the feed', (a) => a.ids.length >= 3);
  checkContiguous(a1.ids, 1, 3, 'useSubscription event ids');
  checkEqual(a1.messages.map((m) => m.text), ['message 1', 'message 2', 'message 3'], 'useSubscription data');
  checkEqual(await feedIds(page), ['1', '2', '3'], 'feed shown');
  log(`useMutation postMessage ×3 → useSubscription ids ${a1.ids.join(',')}`);

  // Server restart. A second tab of the same app posts while this one reconnects.
  const nStates = a1.states.length;
  const r = await control(base, 'restart?downMs=800');
  check(r.ok, `restart: ${JSON.stringify(r)}`);
  const a2 = await until(page, 'the connection state to show connecting', (a) => a.states.slice(nStates).includes('connecting'));
  log(`server restarting; page state ${a2.state}`);
  const page2 = await context.newPage();
  await page2.goto(pageUrl);
  await until(page2, 'the second tab to connect', (a) => a.state === 'pending' && a.starts >= 1, 20000);
  const m4 = await post(page2, 'tab2', 'posted during the restart');
  checkEqual(m4.id, '4', 'id of the message the second tab posted');
  const a3 = await until(page, 'the first tab to reconnect and get the missed event',
    (a) => a.state === 'pending' && a.starts >= 2 && a.ids.length >= 4, 25000);
  const states = a3.states.slice(nStates);
  check(states.includes('connecting') && states.at(-1) === 'pending', `connection state went connecting → pending (saw ${states.join(' → ')})`);
  const m5 = await post(page, 'react', 'after the restart');
  checkEqual(m5.id, '5', 'id of the message posted after the restart');
  await until(page, '5 events in the feed', (a) => a.ids.length >= 5);
  await new Promise((res) => setTimeout(res, 300)); // a late duplicate would show up here
  const a4 = await app(page);
  checkContiguous(a4.ids, 1, 5, 'useSubscription event ids across the restart');
  checkEqual(await feedIds(page), a4.ids, 'feed shown across the restart');
  checkEqual(a4.starts, 2, 'subscription started exactly twice');
  checkEqual(await text(page, 'conn-state'), 'pending', 'connection state shown after the restart');
  const stats = await control(base, 'stats');
  const resumed = stats.subscriptionStarts.filter((s) => s.path === 'onMessage' && s.generation === stats.generation && s.lastEventId !== null);
  check(resumed.some((s) => s.lastEventId === '3' || s.lastEventId === '4'),
    `the server saw the feed resent with lastEventId 3 or 4 (starts: ${JSON.stringify(stats.subscriptionStarts.map((s) => [s.generation, s.lastEventId]))})`);
  log(`restart: states ${states.join(' → ')}; feed ids ${a4.ids.join(',')}; resent with lastEventId ${resumed.map((s) => s.lastEventId).join(',')}`);

  fs.mkdirSync(path.dirname(shot), { recursive: true });
  await page.screenshot({ path: shot, fullPage: true });
  log(`screenshot ${path.relative(process.cwd(), shot)}`);
  noPageErrors();
  code = 0;
} catch (err) {
  console.error(`[react-vite] FAIL: ${err?.stack ?? err}`);
  try {
    if (page) await page.screenshot({ path: shot.replace(/\.png$/, '-failed.png'), fullPage: true });
  } catch {}
} finally {
  await context.close().catch(() => {});
  await statics.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
process.exit(code);
