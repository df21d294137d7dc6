// WebKit (WebKitGTK's MiniBrowser, Debian's webkit2gtk-driver, under its own Xvfb) driven over
// W3C WebDriver (e2e/lib/webkit.mjs): the demo page end to end as in Chromium (query, mutations,
// tracked subscription, the stats panel, reconnect(), a server restart), the globals page, and a
// screenshot in artifacts/webkit-demo.png.
// usage: node webkit.mjs http://127.0.0.1:PORT
import fs from 'node:fs';
import path from 'node:path';
import { check, checkEqual, control, waitFor } from './lib/check.mjs';
import { DemoPage, watchPage } from './lib/demo-page.mjs';
import { AUTOMATION_GLOBAL, launchWebKit } from './lib/webkit.mjs';

const base = process.argv[2];
const shot = path.resolve(import.meta.dirname, '../artifacts/webkit-demo.png');
const t0 = Date.now();
const log = (s) => console.log(`[webkit +${((Date.now() - t0) / 1000).toFixed(1)}s] ${s}`);
setTimeout(() => { console.error('[webkit] overall timeout (120 s)'); process.exit(1); }, 120000).unref();

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

fs.rmSync(shot.replace(/\.png$/, '-failed.png'), { force: true });
const wk = await launchWebKit();
let code = 1;
try {
  log(`WebKitGTK ${wk.version}; ${wk.userAgent}`);
  await control(base, 'reset');
  const page = wk.page;
  const noPageErrors = watchPage(page, log);
  const demo = new DemoPage(page, base, log);
  await demo.open();
  await demo.smoke('webkit');
  await demo.connectionPanel();
  await demo.reconnect('webkit');
  await demo.restart('webkit');
  fs.mkdirSync(path.dirname(shot), { recursive: true });
  await page.screenshot({ path: shot });
  log(`screenshot ${path.relative(process.cwd(), shot)}`);
  noPageErrors();
  await noGlobalsLeft(page);
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
