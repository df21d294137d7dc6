// Chromium (Debian's /usr/bin/chromium) driven by playwright-core: the demo page end to end,
// including a server restart, and a screenshot in artifacts/chromium-demo.png.
// usage: node chromium.mjs http://127.0.0.1:PORT
import fs from 'node:fs';
import path from 'node:path';
import { launchChromium } from './lib/chromium.mjs';
import { check, checkEqual, control, waitFor } from './lib/check.mjs';
import { DemoPage, watchPage } from './lib/demo-page.mjs';

const base = process.argv[2];

// Importing the package and starting the module define nothing on globalThis (e2e/pages/globals.html).
async function noGlobalsLeft(context, base) {
  const page = await context.newPage();
  await page.goto(`${base}/e2e/pages/globals.html`);
  const g = await waitFor(() => page.evaluate(() => (window.__globals?.done ? window.__globals : null)), 'the globals page');
  check(!g.error, `globals page failed: ${g.error}`);
  checkEqual(g.query, 'globals', 'the globals page\'s query');
  const none = { added: [], removed: [] };
  checkEqual(g.afterImport, none, 'globals changed by importing the package');
  checkEqual(g.afterStart, none, 'globals changed by starting the module');
  checkEqual(g.afterClose, none, 'globals changed by closing the client');
  log('no globals left behind (import, start-up, close)');
  await page.close();
}
const shot = path.resolve(import.meta.dirname, '../artifacts/chromium-demo.png');
const t0 = Date.now();
const log = (s) => console.log(`[chromium +${((Date.now() - t0) / 1000).toFixed(1)}s] ${s}`);
setTimeout(() => { console.error('[chromium] overall timeout (80 s)'); process.exit(1); }, 80000).unref();

fs.rmSync(shot.replace(/\.png$/, '-failed.png'), { force: true });
const { context, profile } = await launchChromium('trpcws-chromium-', { viewport: { width: 1180, height: 760 } });
let code = 1;
try {
  await control(base, 'reset');
  const page = context.pages()[0] ?? await context.newPage();
  const noPageErrors = watchPage(page, log);
  const demo = new DemoPage(page, base, log);
  await demo.open();
  await demo.smoke('chromium');
  await demo.connectionPanel();
  await demo.reconnect('chromium');
  await demo.restart('chromium');
  fs.mkdirSync(path.dirname(shot), { recursive: true });
  await page.screenshot({ path: shot, fullPage: true });
  log(`screenshot ${path.relative(process.cwd(), shot)}`);
  noPageErrors();
  await noGlobalsLeft(context, base);
  code = 0;
} catch (err) {
  console.error(`[chromium] FAIL: ${err?.stack ?? err}`);
  try {
    const page = context.pages()[0];
    if (page) {
      fs.mkdirSync(path.dirname(shot), { recursive: true });
      await page.screenshot({ path: shot.replace(/\.png$/, '-failed.png'), fullPage: true });
    }
  } catch {}
} finally {
  await context.close().catch(() => {});
  fs.rmSync(profile, { recursive: true, force: true });
}
process.exit(code);
