// examples/nextjs (Next.js 16, App Router), built by `next build` and served by `next start` on a
// free port, driven in Chromium against the real server:
//   - server rendering: the page rendered by the Next server (which imports trpcws in its SSR
//     bundle) opens no socket to the tRPC server and adds no global to the server process
//     (GET /api/globals before and after; ?import=1 imports trpcws in a route handler too);
//   - the browser: the query result, a mutation, the tracked subscription's events and the
//     connection state render; the .wasm comes from /_next/static/media/ as application/wasm and
//     is compiled by compileStreaming; a server restart: the feed resumes with no gap and no
//     duplicate; no console error (other than Chromium's own lines for the WebSocket connections
//     refused while the server is down), no page error, no error in the Next server's output;
//   - every socket the tRPC server saw was one the page opened.
// usage: node e2e/nextjs.mjs http://127.0.0.1:PORT NODE [--webpack]   (the test server; the Node that runs
// `next build` and `next start`, Node 22: it has a global WebSocket, so a socket opened in SSR
// would connect; run.sh has run npm ci in examples/nextjs and unpacked `npm pack web/` there;
// --webpack builds with `next build --webpack` instead of Turbopack, Next 16's default: not part
// of run.sh, checked by hand)
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchChromium, recordWasmCompiles } from './lib/chromium.mjs';
import { check, checkContiguous, checkEqual, control, waitFor } from './lib/check.mjs';

const [base, node, flag] = process.argv.slice(2);
const webpack = flag === '--webpack';
if (!base || !node) {
  console.error('usage: node e2e/nextjs.mjs http://127.0.0.1:PORT NODE [--webpack]');
  process.exit(2);
}
const app = path.resolve(import.meta.dirname, '../examples/nextjs');
const shot = path.resolve(import.meta.dirname, '../artifacts/nextjs.png');
const t0 = Date.now();
const log = (s) => console.log(`[nextjs +${((Date.now() - t0) / 1000).toFixed(1)}s] ${s}`);

const freePort = () => new Promise((resolve, reject) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  }).on('error', reject);
});

setTimeout(() => { console.error('[nextjs] overall timeout (240 s)'); process.exit(1); }, 240000).unref();

const nextEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: '1' };
const installed = JSON.parse(fs.readFileSync(path.join(app, 'node_modules/trpcws/package.json'), 'utf8'));
check(fs.existsSync(path.join(app, 'node_modules/trpcws/trpcws.wasm')), `examples/nextjs/node_modules/trpcws ${installed.version} has trpcws.wasm`);
const build = spawnSync(node, ['node_modules/next/dist/bin/next', 'build', ...(webpack ? ['--webpack'] : [])], {
  cwd: app, env: nextEnv, encoding: 'utf8', timeout: 200000, killSignal: 'SIGKILL',
});
if (build.status !== 0) {
  console.error(`${build.stdout}${build.stderr}`);
  check(false, `next build exited ${build.status ?? build.signal}`);
}
// Under CI=true (ci-info), next build prints "⚠ No build cache found" when .next/cache is absent,
// which it always is on a fresh clone: advice about CI caching, not a problem with the build.
const ciCacheAdvice = /No build cache found\. .*nextjs\.org\/docs\/messages\/no-cache/;
const buildWarnings = `${build.stdout}${build.stderr}`.split('\n')
  .filter((l) => /error|warn|⚠|⨯/i.test(l) && !ciCacheAdvice.test(l));
checkEqual(buildWarnings, [], 'errors or warnings in the next build output');
log(`next build: ${/Compiled successfully in [\d.]+m?s/.exec(build.stdout)?.[0] ?? 'done'}`);
check(fs.existsSync(path.join(app, '.next/BUILD_ID')), `${app}/.next/BUILD_ID exists (next build ran)`);
const media = fs.readdirSync(path.join(app, '.next/static/media')).filter((f) => f.endsWith('.wasm'));
check(media.length === 1 && /^trpcws\.[\w-]+\.wasm$/.test(media[0]),
  `next build emitted one content-hashed .next/static/media/trpcws.<hash>.wasm (got ${JSON.stringify(media)})`);
if (webpack) {
  log(`next build --webpack emitted static/media/${media[0]}`);
} else {
  const ssrChunks = fs.readdirSync(path.join(app, '.next/server/chunks/ssr')).filter((f) => f.includes('trpcws'));
  check(ssrChunks.length > 0, 'the SSR bundle holds trpcws (the page\'s client component imports it on the server too)');
  log(`next build emitted static/media/${media[0]}; SSR chunks with trpcws: ${ssrChunks.length}`);
}

// next start, on a free port, with its output kept to check for errors, and every WebSocket the
// server process constructs written to socketLog (lib/count-websockets.mjs).
const port = await freePort();
const socketLog = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'trpcws-next-')), 'websockets.log');
const serverSockets = () => (fs.existsSync(socketLog) ? fs.readFileSync(socketLog, 'utf8').split('\n').filter(Boolean) : []);
const preload = pathToFileURL(path.join(import.meta.dirname, 'lib/count-websockets.mjs')).href;
const nextOut = [];
const next = spawn(node, ['node_modules/next/dist/bin/next', 'start', '-p', String(port), '-H', '127.0.0.1'], {
  cwd: app,
  env: { ...nextEnv, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${preload}`.trim(), TRPCWS_E2E_WEBSOCKET_LOG: socketLog },
  stdio: ['ignore', 'pipe', 'pipe'],
});
for (const s of [next.stdout, next.stderr]) s.on('data', (d) => nextOut.push(String(d)));
let nextExit = null;
next.on('exit', (code, sig) => { nextExit = `${code ?? sig}`; });
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => { next.kill(); process.exit(1); });
const origin = `http://127.0.0.1:${port}`;
await waitFor(async () => {
  if (nextExit !== null) throw new Error(`next start exited (${nextExit}): ${nextOut.join('')}`);
  return (await fetch(`${origin}/api/globals`)).ok;
}, 'next start to answer', 30000, 100).catch((err) => {
  next.kill();
  throw err;
});
log(`next start on ${origin} (${(await (await fetch(`${origin}/api/globals`)).json()).keys.length} globals in the server process)`);

const getJSON = async (p) => {
  const r = await fetch(origin + p);
  check(r.ok, `GET ${p}: HTTP ${r.status}`);
  return r.json();
};
const wsUrl = `${base.replace(/^http/, 'ws')}/trpc`;
const pageUrl = `${origin}/?ws=${encodeURIComponent(wsUrl)}`;

let code = 1;
let context, profile, page;
try {
  await control(base, 'reset');

  // ---- server rendering, on its own (no browser yet)
  const g0 = await getJSON('/api/globals');
  checkEqual([g0.fs, g0.path, g0.Go], [false, false, false], 'fs, path, Go on globalThis of the Next server before rendering');
  const html = await (await fetch(pageUrl)).text();
  check(html.includes('data-testid="echo"') && html.includes('loading…'), 'the server rendered the client component (query pending)');
  check(html.includes(wsUrl), 'the server rendered the tRPC server\'s URL from ?ws=');
  const g1 = await getJSON('/api/globals');
  // Next's app runtime defines __next_require__ and __next_chunk_load__ on the first page render.
  const added = g1.keys.filter((k) => !g0.keys.includes(k));
  checkEqual(added.filter((k) => !k.startsWith('__next_')), [], 'globals the server rendering (which imported trpcws) added');
  checkEqual([g1.fs, g1.path, g1.Go], [false, false, false], 'fs, path, Go on globalThis after rendering');
  const g2 = await getJSON('/api/globals?import=1');
  checkEqual(g2.added, [], 'globals import(\'trpcws\') added in a route handler');
  checkEqual(serverSockets(), [], 'WebSockets the Next server constructed while rendering the page');
  checkEqual((await control(base, 'stats')).totalConnections, 0, 'sockets the tRPC server saw after the server rendering');
  log(`SSR: rendered the page, no socket to the tRPC server, no global added but Next's own ${JSON.stringify(added)} (fs/path/Go absent)`);

  // ---- the browser
  ({ context, profile } = await launchChromium('trpcws-next-', { viewport: { width: 900, height: 760 } }));
  await context.addInitScript(() => {
    // The page's WebSockets that opened (a refused one, while the server is down, does not).
    window.__sockets = 0;
    const WS = window.WebSocket;
    window.WebSocket = class extends WS {
      constructor(...args) {
        super(...args);
        this.addEventListener('open', () => { window.__sockets++; });
      }
    };
  });
  await context.addInitScript(recordWasmCompiles);
  page = await context.newPage();
  const consoleErrors = [];
  const pageErrors = [];
  let restarting = false;
  page.on('pageerror', (e) => { pageErrors.push(String(e?.message ?? e)); log(`page error: ${e?.message ?? e}`); });
  page.on('console', (m) => {
    if (m.type() !== 'error' && m.type() !== 'warning') return;
    const t = m.text();
    // Chromium's own line for a WebSocket whose connection is refused (the server is down).
    if (m.type() === 'error' && restarting && /^WebSocket connection to 'ws:.*' failed/.test(t)) return;
    consoleErrors.push(`${m.type()}: ${t}`);
    log(`page console.${m.type()}: ${t}`);
  });
  page.on('response', (r) => { if (r.status() >= 400) log(`HTTP ${r.status()} ${r.url()}`); });
  const wasmResponse = page.waitForResponse((r) => r.url().endsWith('.wasm'));
  await page.goto(pageUrl);

  const resp = await wasmResponse;
  const h = await resp.allHeaders();
  checkEqual(new URL(resp.url()).pathname, `/_next/static/media/${media[0]}`, 'the .wasm URL');
  checkEqual(h['content-type'], 'application/wasm', 'wasm Content-Type');
  check(/immutable/.test(h['cache-control'] ?? ''), `hashed wasm cached as immutable (cache-control: ${h['cache-control']})`);
  log(`wasm: ${new URL(resp.url()).pathname}, ${h['content-type']}, content-encoding ${h['content-encoding'] ?? 'none'}, cache-control ${h['cache-control']}`);

  const probe = () => page.evaluate(() => JSON.parse(JSON.stringify(window.__app ?? null)));
  const text = (id) => page.evaluate((s) => document.querySelector(`[data-testid="${s}"]`)?.textContent ?? null, id);
  const feedIds = () => page.evaluate(() => [...document.querySelectorAll('[data-testid="feed-item"]')].map((li) => li.dataset.id));
  const until = (what, pred, ms = 15000) => waitFor(async () => {
    const a = await probe();
    return a && pred(a) ? a : null;
  }, what, ms);
  const post = async (msg) => {
    await page.locator('[data-testid="post-text"]').fill(msg);
    await page.locator('[data-testid="post-submit"]').click();
    return waitFor(async () => {
      const r = await text('post-result');
      if (r?.startsWith('error')) throw new Error(`mutation failed in the page: ${r}`);
      return /^posted #\d+$/.test(r ?? '') ? r : null;
    }, `the mutation posting ${JSON.stringify(msg)}`);
  };

  // query, subscription, connection state
  await waitFor(async () => (await text('echo')) === 'hello from Next.js', 'the query result to render');
  await waitFor(async () => (await text('sub-status')) === 'started', 'the subscription to start');
  await waitFor(async () => (await text('conn-state')) === 'pending', 'the connection state to show pending');
  checkEqual(await page.evaluate(() => window.__wasmCompiles), ['compileStreaming'], 'the module was compiled by compileStreaming');
  log('query echo → "hello from Next.js"; subscription started; connection pending');

  // mutation ×2 → subscription events
  checkEqual(await post('message 1'), 'posted #1', 'first mutation result shown');
  checkEqual(await post('message 2'), 'posted #2', 'second mutation result shown');
  await waitFor(async () => (await feedIds()).length >= 2, 'two events in the feed');
  checkEqual(await feedIds(), ['1', '2'], 'feed shown');
  checkEqual(await page.evaluate(() => [...document.querySelectorAll('[data-testid="feed-item"]')].map((li) => li.textContent)),
    ['#1 next: message 1', '#2 next: message 2'], 'feed items rendered');
  checkEqual(consoleErrors, [], 'console errors and warnings before the restart');
  log('mutation postMessage ×2 → feed #1, #2');

  // Server restart: the feed resumes from the last event id.
  const nStates = (await probe()).states.length;
  restarting = true;
  const r = await control(base, 'restart?downMs=800');
  check(r.ok, `restart: ${JSON.stringify(r)}`);
  await until('the connection state to show connecting', (a) => a.states.slice(nStates).includes('connecting'));
  await until('the page to reconnect and re-subscribe', (a) => a.states.at(-1) === 'pending' && a.starts >= 2, 25000);
  restarting = false;
  checkEqual(await post('after the restart'), 'posted #3', 'mutation result after the restart');
  await waitFor(async () => (await feedIds()).length >= 3, 'three events in the feed');
  await new Promise((res) => setTimeout(res, 300)); // a late duplicate would show up here
  const a = await probe();
  checkContiguous(a.ids, 1, 3, 'subscription event ids across the restart');
  checkEqual(await feedIds(), a.ids, 'feed shown across the restart');
  checkEqual(a.starts, 2, 'subscription started exactly twice');
  checkEqual(await text('conn-state'), 'pending', 'connection state shown after the restart');
  log(`restart: states ${a.states.slice(nStates).join(' → ')}; feed ids ${a.ids.join(',')}`);

  fs.mkdirSync(path.dirname(shot), { recursive: true });
  await page.screenshot({ path: shot, fullPage: true });
  log(`screenshot ${path.relative(process.cwd(), shot)}`);

  const opened = await page.evaluate(() => window.__sockets);
  const stats = await control(base, 'stats');
  check(opened >= 2, `the page's sockets opened before and after the restart (opened ${opened})`);
  checkEqual(stats.totalConnections, opened, 'sockets the tRPC server saw (all of them the page\'s: SSR opened none)');
  checkEqual(serverSockets(), [], 'WebSockets the Next server constructed');
  checkEqual(consoleErrors, [], 'console errors and warnings');
  checkEqual(pageErrors, [], 'uncaught page errors');
  const errLines = nextOut.join('').split('\n').filter((l) => /error|warn|⨯/i.test(l));
  checkEqual(errLines, [], 'errors or warnings in the next start output');
  log(`sockets: ${opened} opened by the page, ${stats.totalConnections} seen by the server; no console, page or server errors`);
  code = 0;
} catch (err) {
  console.error(`[nextjs] FAIL: ${err?.stack ?? err}`);
  if (nextOut.length) console.error(`[nextjs] next start output:\n${nextOut.join('')}`);
  try {
    if (page) await page.screenshot({ path: shot.replace(/\.png$/, '-failed.png'), fullPage: true });
  } catch {}
} finally {
  await context?.close().catch(() => {});
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
  next.kill();
  fs.rmSync(path.dirname(socketLog), { recursive: true, force: true });
}
process.exit(code);
