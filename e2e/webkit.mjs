// WebKit (WebKitGTK's MiniBrowser, Debian's webkit2gtk-driver, under its own Xvfb) driven over
// W3C WebDriver (e2e/lib/webkit.mjs): the demo page end to end as in Chromium (query, mutations,
// tracked subscription, the stats panel, reconnect(), a server restart), the globals page, the CSP
// and network cases, the back/forward cache, and a screenshot in artifacts/webkit-demo.png.
// usage: node webkit.mjs http://127.0.0.1:PORT
import fs from 'node:fs';
import path from 'node:path';
import { bfcachePage } from './lib/bfcache.mjs';
import { check, checkContiguous, checkEqual, control, waitFor } from './lib/check.mjs';
import { cspChecks, cspOrigin, POLICIES } from './lib/csp.mjs';
import { DemoPage, watchPage } from './lib/demo-page.mjs';
import { emulatedOffline, networkChecks, resumeSilentSocket } from './lib/network.mjs';
import { AUTOMATION_GLOBAL, launchWebKit } from './lib/webkit.mjs';

const base = process.argv[2];
const shot = path.resolve(import.meta.dirname, '../artifacts/webkit-demo.png');
const t0 = Date.now();
const log = (s) => console.log(`[webkit +${((Date.now() - t0) / 1000).toFixed(1)}s] ${s}`);
setTimeout(() => { console.error('[webkit] overall timeout (180 s)'); process.exit(1); }, 180000).unref();

// Importing the package and starting the module define nothing on globalThis (e2e/pages/globals.html).
async function noGlobalsLeft(page) {
  await page.goto(`${base}/e2e/pages/globals.html`, { watch: false });
  const g = await waitFor(() => page.evaluate(() => (window.__globals?.done ? window.__globals : null)), 'the globals page');
  check(!g.error, `globals page failed: ${g.error}`);
  // WebDriver's own global, defined by WebKit when the first script runs (any time after 'before').
  for (const k of ['afterImport', 'afterStart', 'afterClose']) g[k].added = g[k].added.filter((name) => name !== AUTOMATION_GLOBAL);
  checkEqual(g.query, 'globals', 'the globals page\'s query');
  const none = { added: [], removed: [] };
  checkEqual(g.afterImport, none, 'globals changed by importing the package');
  checkEqual(g.afterStart, none, 'globals changed by starting the module');
  checkEqual(g.afterClose, none, 'globals changed by closing the client');
  log('no globals left behind (import, start-up, close)');
}

// The load failures and early start of e2e/lib/csp.mjs. WebDriver shows no response headers:
// the policy header is checked on the same URL fetched from here.
async function csp(page) {
  const origin = await cspOrigin(base);
  const visit = async (csp, extra = '', during) => {
    const url = origin.url(csp, extra);
    const head = await fetch(url);
    await head.arrayBuffer();
    checkEqual(head.headers.get('content-security-policy'), csp ? POLICIES[csp] : null, 'the policy header the page is served with');
    await page.goto(url);
    const read = () => page.evaluate(() => window.__csp);
    if (during) await during(read);
    const g = await waitFor(async () => ((await read())?.done ? read() : null), 'the CSP page').catch(async (err) => {
      throw new Error(`${err.message}; the page has ${JSON.stringify(await read())}`);
    });
    if (g.fatal) throw new Error(`page failed: ${g.fatal}`);
    return g;
  };
  try {
    // WebKit's words: "Refused to create a WebAssembly object because 'unsafe-eval' or 'wasm-unsafe-eval' is not …".
    const seen = await cspChecks(visit, origin, /wasm-unsafe-eval/, log);
    log(`WebKit's own words: ${seen.strict.init.slice(seen.strict.init.indexOf('(Refused'))}`);
  } finally {
    origin.close();
  }
}

// The back/forward cache (e2e/lib/bfcache.mjs, as in e2e/bfcache-chromium.mjs): WebDriver's
// back to a page the client left with networkAware on restores it from WebKit's page cache
// (pagehide and pageshow with persisted, the same page); the socket was closed with 1000 on
// pagehide and the tracked feed goes on after its last event id, 1..N with no gap or duplicate.
// The control, networkAware off, shows what WebKit does itself: unlike Chromium it caches the
// page anyway, closing the open socket with 1001 on the way in; the client, no longer suspended,
// sees that close once the page is back and reconnects (no idle state between), resuming the feed.
async function bfcache(page) {
  const { until, awayAndBack, checkRestored } = bfcachePage(page, base);
  const on = await checkRestored(await awayAndBack(true), 'bfcache, networkAware on', log);
  log(`bfcache, networkAware on: events 1..${on.back.ids.length}, resumed after ${on.hiddenAt}`);

  const { before, away, back } = await awayAndBack(false, { waitClosed: true });
  checkEqual([away.connectionLog[0]?.closeCode, back.loadedAt === before.loadedAt, back.hides.map((h) => h.persisted)],
    [1001, true, [true]], 'bfcache, networkAware off (control): WebKit closed the socket with 1001 and cached the page');
  const hiddenAt = back.hides[0].idsSeen;
  const b = await until('the feed to resume after the reconnect', (b) => b.ids.length >= hiddenAt + 20 && b.stats.state === 'pending', 20000);
  checkContiguous(b.ids, 1, b.ids.length, 'bfcache, networkAware off: event ids across the reconnect');
  check(!b.states.includes('idle'), `bfcache, networkAware off: no suspension (states ${b.states.join(' → ')})`);
  log(`bfcache, networkAware off (control): WebKit cached the page anyway, closing the socket itself with 1001; ` +
    `the client reconnected on its return (states ${b.states.join(' → ')}), events 1..${b.ids.length}`);
}

fs.rmSync(shot.replace(/\.png$/, '-failed.png'), { force: true });
const wk = await launchWebKit();
let code = 1;
try {
  log(`WebKitGTK ${wk.version}; ${wk.userAgent}`);
  // The browser driven is the installed package run.sh names (dpkg's libwebkit2gtk-4.1-0).
  if (process.env.WEBKIT_VERSION) checkEqual(wk.version, process.env.WEBKIT_VERSION, 'the WebKitGTK version the session reports');
  await control(base, 'reset');
  const page = wk.page;
  const noPageErrors = watchPage(page, log);
  const demo = new DemoPage(page, base, log);
  await demo.open();
  await demo.smoke('webkit');
  await demo.connectionPanel();
  await demo.reconnect('webkit');
  await demo.restart('webkit');
  await demo.silentSocket('webkit');
  fs.mkdirSync(path.dirname(shot), { recursive: true });
  await page.screenshot({ path: shot });
  log(`screenshot ${path.relative(process.cwd(), shot)}`);
  noPageErrors();
  await noGlobalsLeft(page);
  await csp(page);
  // Network awareness: WebDriver cannot take WebKit off the network, so offline/online are
  // emulated in the page (navigator.onLine and the events), as visibilitychange is everywhere.
  await control(base, 'reset');
  await networkChecks(page, base, emulatedOffline(page), log);
  await resumeSilentSocket(page, base, log);
  await bfcache(page);
  noPageErrors();
  code = 0;
} catch (err) {
  console.error(`[webkit] FAIL: ${err?.stack ?? err}`);
  try {
    fs.mkdirSync(path.dirname(shot), { recursive: true });
    await wk.page.screenshot({ path: shot.replace(/\.png$/, '-failed.png') });
  } catch {}
} finally {
  await wk.close();
}
process.exit(code);
