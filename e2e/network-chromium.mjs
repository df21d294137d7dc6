// Chromium (Debian's /usr/bin/chromium) driven by playwright-core: the client's network awareness
// (issue 10) in a real browser, against the real test server: the cases of e2e/lib/network.mjs,
// with Chromium taken off the network by context.setOffline; then connection max age and
// resubscribe control (e2e/lib/rotation.mjs).
// usage: node network-chromium.mjs http://127.0.0.1:PORT
import fs from 'node:fs';
import { launchChromium } from './lib/chromium.mjs';
import { control } from './lib/check.mjs';
import { watchPage } from './lib/demo-page.mjs';
import { networkChecks, resumeSilentSocket } from './lib/network.mjs';
import { rotationChecks } from './lib/rotation.mjs';

const base = process.argv[2];
const t0 = Date.now();
const log = (s) => console.log(`[network +${((Date.now() - t0) / 1000).toFixed(1)}s] ${s}`);
setTimeout(() => { console.error('[network] overall timeout (110 s)'); process.exit(1); }, 110000).unref();

const { context, profile } = await launchChromium('trpcws-chromium-net-');

let code = 1;
try {
  await control(base, 'reset');
  const page = context.pages()[0] ?? await context.newPage();
  const noPageErrors = watchPage(page, log);
  await networkChecks(page, base, (offline) => context.setOffline(offline), log);
  await resumeSilentSocket(page, base, log);
  await rotationChecks(page, base, log);
  noPageErrors();
  log('ok');
  code = 0;
} catch (err) {
  console.error(`[network] FAIL: ${err?.stack ?? err}`);
} finally {
  await context.close().catch(() => {});
  fs.rmSync(profile, { recursive: true, force: true });
}
process.exit(code);
