// Firefox ESR (Debian's /usr/bin/firefox-esr) driven by puppeteer-core over WebDriver BiDi:
// the demo page's query, mutations and tracked subscription, and its stats() and timeline panel.
// usage: node firefox.mjs http://127.0.0.1:PORT
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer from 'puppeteer-core';
import { control } from './lib/check.mjs';
import { DemoPage, watchPage } from './lib/demo-page.mjs';

const base = process.argv[2];
const t0 = Date.now();
const log = (s) => console.log(`[firefox +${((Date.now() - t0) / 1000).toFixed(1)}s] ${s}`);
setTimeout(() => { console.error('[firefox] overall timeout (80 s)'); process.exit(1); }, 80000).unref();

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'trpcws-firefox-'));
const browser = await puppeteer.launch({
  browser: 'firefox',
  executablePath: process.env.FIREFOX ?? '/usr/bin/firefox-esr',
  headless: true,
  userDataDir: profile,
  // Keep Firefox off the network: no update, telemetry, captive-portal or safe-browsing traffic.
  extraPrefsFirefox: {
    'app.update.enabled': false,
    'datareporting.policy.dataSubmissionEnabled': false,
    'toolkit.telemetry.enabled': false,
    'network.captive-portal-service.enabled': false,
    'browser.safebrowsing.malware.enabled': false,
    'browser.safebrowsing.phishing.enabled': false,
  },
});
let code = 1;
try {
  log(`version ${await browser.version()}`);
  await control(base, 'reset');
  const page = await browser.newPage();
  const noPageErrors = watchPage(page, log);
  const demo = new DemoPage(page, base, log);
  await demo.open();
  await demo.smoke('firefox');
  await demo.connectionPanel();
  noPageErrors();
  code = 0;
} catch (err) {
  console.error(`[firefox] FAIL: ${err?.stack ?? err}`);
} finally {
  await browser.close().catch(() => {});
  fs.rmSync(profile, { recursive: true, force: true });
}
process.exit(code);
