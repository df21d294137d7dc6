// Chromium (Debian's /usr/bin/chromium) driven by playwright-core: the back/forward cache
// (issue 23) in a real browser, against the real test server, on e2e/pages/bfcache.html (a
// client with a tracked subscription to `events`).
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
import { check, checkContiguous, checkEqual, control, waitFor } from './lib/check.mjs';
import { watchPage } from './lib/demo-page.mjs';

const base = process.argv[2];
const t0 = Date.now();
const log = (s) => console.log(`[bfcache +${((Date.now() - t0) / 1000).toFixed(1)}s] ${s}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
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

  const bf = () => page.evaluate(() => {
    const b = window.__bf;
    return b && { ready: b.ready, fatal: b.fatal, loadedAt: b.loadedAt, ids: b.ids, started: b.started,
                  states: b.states, shows: b.shows, hides: b.hides, stats: b.client ? b.client.stats() : null };
  });
  const until = (what, pred, timeoutMs = 10000) => waitFor(async () => {
    const b = await bf();
    if (b?.fatal) throw new Error(`page: ${b.fatal}`);
    return b && pred(b) ? b : null;
  }, what, timeoutMs);

  // Opens the page, waits for events, goes away and back; returns what the page saw.
  async function awayAndBack(networkAware) {
    await control(base, 'reset');
    notUsed.length = 0;
    await page.goto(`${base}/e2e/pages/bfcache.html?networkAware=${networkAware ? 1 : 0}`);
    const before = await until('the subscription to deliver 10 events', (b) => b.ready && b.ids.length >= 10, 20000);
    await page.goto(`${base}/e2e/pages/bfcache-away.html`);
    let away = await control(base, 'stats');
    if (networkAware) {
      away = await waitFor(() => control(base, 'stats').then((s) => s.connectionLog[0]?.closeCode != null && s),
        'the server to see the socket closed', 10000);
    }
    await sleep(500); // away for a while: the server would have sent more events meanwhile
    await page.goBack({ waitUntil: 'commit' }); // a page restored from the cache fires no load event
    const back = await until('the page to be shown again', (b) => b.ready && b.shows.length > 0, 20000);
    return { before, away, back };
  }

  // 1. networkAware on: restored from the cache; the feed goes on after its last event id.
  let { before, away, back } = await awayAndBack(true);
  checkEqual([away.connectionLog[0].closeCode, away.connections], [1000, 0], 'server: the socket closed with 1000 on pagehide, none open while away');
  check(back.loadedAt === before.loadedAt, 'the page was restored, not loaded again');
  checkEqual(back.shows.map((s) => s.persisted), [false, true], 'pageshow: the load, then from the cache (persisted)');
  const hiddenAt = back.hides[0].idsSeen;
  log(`networkAware on: restored from the cache; ${hiddenAt} events before pagehide; server saw close code ${away.connectionLog[0].closeCode}`);
  back = await until('the subscription to resume', (b) => b.ids.length >= hiddenAt + 20 && b.stats.state === 'pending', 20000);
  checkContiguous(back.ids, 1, back.ids.length, 'event ids across the back/forward cache');
  const st = await control(base, 'stats');
  checkEqual([st.totalConnections, st.subscriptionStarts.map((s) => s.lastEventId)], [2, [null, String(hiddenAt)]],
    'server: two sockets; subscribed, then resumed after the last event delivered');
  checkEqual(back.states.slice(-3), ['idle', 'connecting', 'pending'], 'states after pagehide and pageshow');
  checkEqual(back.started, 2, 'onStarted on the first socket and again after resuming (as after a reconnect)');
  checkEqual(notUsed.map(reasons), [], 'Page.backForwardCacheNotUsed events');
  checkEqual(await page.evaluate(() => window.__bf.echo('after restore')), 'after restore', 'echo after the restore');
  log(`networkAware on: events 1..${back.ids.length}, resumed after ${hiddenAt}; no backForwardCacheNotUsed`);

  // 2. The control: networkAware off keeps the socket open; the page is not cached.
  ({ before, away, back } = await awayAndBack(false));
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
