// Chromium (Debian's /usr/bin/chromium) driven by playwright-core: the back/forward cache
// (issue 23) in a real browser, against the real test server, on e2e/pages/bfcache.html (a
// client with a tracked subscription to `events`; the shared steps and checks: e2e/lib/bfcache.mjs).
//
// Flags: playwright-core launches Chromium with --disable-back-forward-cache, which is left out
// (ignoreDefaultArgs). Chromium 156 also closes an open WebSocket itself when a page enters the
// cache (its DisconnectWebSocketOnBFCache feature), abruptly; with that feature off, as here, an
// open WebSocket keeps the page out of the cache (reason "WebSocket"), as it did in Chromium
// before it and does in other browsers. The test pages are served with Cache-Control: no-cache,
// not no-store (a no-store page is never cached).
//   1. networkAware on (the default): go to bfcache-away.html and back. The client closed its
//      socket with 1000 on pagehide; Page.backForwardCacheNotUsed does not fire (listened for on
//      a CDP session with the Page domain enabled); the page is the same one (restored, not
//      loaded again: pageshow with persisted); the subscription resumes after its last event id:
//      the ids seen are 1..N, no gap, no duplicate.
//   2. The control: networkAware off, the same navigation: backForwardCacheNotUsed fires and
//      names the WebSocket, and the page is loaded again. This is what proves 1 can fail.
// usage: node bfcache-chromium.mjs http://127.0.0.1:PORT
import fs from 'node:fs';
import { launchChromium } from './lib/chromium.mjs';
import { bfcachePage } from './lib/bfcache.mjs';
import { check, checkEqual } from './lib/check.mjs';
import { watchPage } from './lib/demo-page.mjs';

const base = process.argv[2];
const t0 = Date.now();
const log = (s) => console.log(`[bfcache +${((Date.now() - t0) / 1000).toFixed(1)}s] ${s}`);
setTimeout(() => { console.error('[bfcache] overall timeout (80 s)'); process.exit(1); }, 80000).unref();

const BFCACHE_FLAGS = ['--disable-features=DisconnectWebSocketOnBFCache'];
const { context, profile } = await launchChromium('trpcws-chromium-bfcache-', {
  ignoreDefaultArgs: ['--disable-back-forward-cache'],
  extraArgs: BFCACHE_FLAGS,
});

let code = 1;
try {
  const page = context.pages()[0] ?? await context.newPage();
  const noPageErrors = watchPage(page, log);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Page.enable');
  const notUsed = [];
  cdp.on('Page.backForwardCacheNotUsed', (e) => notUsed.push(e));
  const reasons = (e) => (e.notRestoredExplanations ?? []).map((x) => x.reason);

  const { until, awayAndBack, checkRestored } = bfcachePage(page, base);

  // 1. networkAware on: restored from the cache; the feed goes on after its last event id.
  notUsed.length = 0;
  let { before, away, back } = await awayAndBack(true);
  checkEqual(back.shows.map((s) => s.persisted), [false, true], 'pageshow: the load, then from the cache (persisted)');
  let hiddenAt;
  ({ back, hiddenAt } = await checkRestored({ before, away, back }, 'networkAware on', log));
  checkEqual(notUsed.map(reasons), [], 'Page.backForwardCacheNotUsed events');
  log(`networkAware on: events 1..${back.ids.length}, resumed after ${hiddenAt}; no backForwardCacheNotUsed`);

  // 2. The control: networkAware off keeps the socket open; the page is not cached.
  notUsed.length = 0;
  ({ before, away, back } = await awayAndBack(false));
  back = await until('the pageshow of the new load', (b) => b.shows.length > 0);
  const blocked = notUsed.flatMap(reasons);
  check(notUsed.length === 1 && blocked.includes('WebSocket'), `networkAware off: backForwardCacheNotUsed names the WebSocket (got ${JSON.stringify(notUsed)})`);
  check(back.loadedAt !== before.loadedAt, 'networkAware off: the page was loaded again');
  checkEqual(back.shows.map((s) => s.persisted), [false], 'networkAware off: pageshow of a new load only');
  log(`networkAware off (control): backForwardCacheNotUsed fired, reasons ${JSON.stringify(blocked)}; the page was loaded again`);

  noPageErrors();
  log('ok');
  code = 0;
} catch (err) {
  console.error(`[bfcache] FAIL: ${err?.stack ?? err}`);
} finally {
  await context.close().catch(() => {});
  fs.rmSync(profile, { recursive: true, force: true });
}
process.exit(code);
