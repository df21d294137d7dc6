// Chromium (Debian's /usr/bin/chromium) driven by playwright-core: what a page sees when the
// WebAssembly module cannot load (issue 22), and early start while it loads, on
// e2e/pages/csp.html against the real test server: the cases of e2e/lib/csp.mjs (a CSP without
// and with 'wasm-unsafe-eval', a 404, the module held back until the first query is answered).
// usage: node csp-chromium.mjs http://127.0.0.1:PORT
import fs from 'node:fs';
import { launchChromium } from './lib/chromium.mjs';
import { checkEqual, waitFor } from './lib/check.mjs';
import { cspChecks, cspOrigin, POLICIES } from './lib/csp.mjs';

const base = process.argv[2];
const t0 = Date.now();
const log = (s) => console.log(`[csp +${((Date.now() - t0) / 1000).toFixed(1)}s] ${s}`);
setTimeout(() => { console.error('[csp] overall timeout (60 s)'); process.exit(1); }, 60000).unref();

const { context, profile } = await launchChromium('trpcws-chromium-csp-');
const origin = await cspOrigin(base);

// Opens the CSP page with the policy named csp (or none); returns window.__csp.
async function visit(csp, extra = '', during) {
  const page = await context.newPage();
  const resp = await page.goto(origin.url(csp, extra));
  checkEqual(resp.headers()['content-security-policy'] ?? null, csp ? POLICIES[csp] : null, 'the policy header the page was served with');
  const read = () => page.evaluate(() => window.__csp);
  if (during) await during(read);
  const g = await waitFor(async () => ((await read())?.done ? read() : null), 'the CSP page').catch(async (err) => {
    throw new Error(`${err.message}; the page has ${JSON.stringify(await read())}`);
  });
  await page.close();
  if (g.fatal) throw new Error(`page failed: ${g.fatal}`);
  return g;
}

let code = 1;
try {
  await cspChecks(visit, origin, /Content Security Policy/, log);
  code = 0;
} catch (err) {
  console.error(`[csp] FAIL: ${err?.stack ?? err}`);
} finally {
  await context.close().catch(() => {});
  origin.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
log(code === 0 ? 'PASS' : 'FAIL');
process.exit(code);
