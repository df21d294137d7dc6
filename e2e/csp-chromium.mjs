// Chromium (Debian's /usr/bin/chromium) driven by playwright-core: what a page sees when the
// WebAssembly module cannot load (issue 22), on e2e/pages/csp.html against the real test server.
//   1. Content-Security-Policy `script-src 'self' 'unsafe-inline'` (a response header, added to the
//      test server's answer by the test): init() rejects, calls after it, a subscription and a client
//      made later fail with a message telling to add 'wasm-unsafe-eval' to script-src;
//      connectionState carries it; onError and onEvent ('loadFailed') report it once.
//   2. The same policy with 'wasm-unsafe-eval': the query and the subscription work, no error.
//   3. No policy, init() given a URL that answers 404: the message names the status and what to do.
// usage: node csp-chromium.mjs http://127.0.0.1:PORT
import fs from 'node:fs';
import { launchChromium } from './lib/chromium.mjs';
import { check, checkEqual, waitFor } from './lib/check.mjs';

const base = process.argv[2];
const t0 = Date.now();
const log = (s) => console.log(`[csp +${((Date.now() - t0) / 1000).toFixed(1)}s] ${s}`);
setTimeout(() => { console.error('[csp] overall timeout (60 s)'); process.exit(1); }, 60000).unref();

const { context, profile } = await launchChromium('trpcws-chromium-csp-');

// Opens the CSP page with policy (or none) as a Content-Security-Policy response header; returns window.__csp.
async function visit(policy, query = '') {
  const page = await context.newPage();
  const url = `${base}/e2e/pages/csp.html${query}`;
  const violations = [];
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) violations.push(m.text()); });
  if (policy) {
    await page.route(url, async (route) => {
      const resp = await route.fetch();
      await route.fulfill({ response: resp, headers: { ...resp.headers(), 'content-security-policy': policy } });
    });
  }
  const resp = await page.goto(url);
  checkEqual(resp.headers()['content-security-policy'] ?? null, policy, 'the policy header the page was served with');
  const g = await waitFor(() => page.evaluate(() => (window.__csp?.done ? window.__csp : null)), 'the CSP page');
  await page.close();
  check(!g.fatal, `page failed: ${g.fatal}`);
  g.violations = violations;
  return g;
}

const LOAD_FAILED = 'TRPCClientError: trpcws: the WebAssembly module failed to load: ';

function checkFailed(g, words, what) {
  check(words.test(g.init), `${what}: init() rejects saying why (got ${g.init})`);
  check(g.init.startsWith('TRPCWebSocketLoadError: trpcws: '), `${what}: init() rejects with a TRPCWebSocketLoadError (got ${g.init})`);
  for (const [name, r] of [['the query after init()', g.after], ['the subscription', g.sub], ['a client made later', g.later]]) {
    check(!r.ok && r.error.startsWith(LOAD_FAILED) && words.test(r.error), `${what}: ${name} fails saying why (got ${JSON.stringify(r)})`);
  }
  // The first query was made before the load failed: early start may have answered it; if not, it fails the same way.
  check(g.first.ok ? g.first.value === 'first' : words.test(g.first.error), `${what}: the first query (got ${JSON.stringify(g.first)})`);
  checkEqual(g.state.state, 'connecting', `${what}: connectionState's state`);
  check(words.test(g.state.error ?? '') && g.state.error.startsWith('TRPCWebSocketClosedError: '), `${what}: connectionState carries the error (got ${g.state.error})`);
  check(g.laterState.error && words.test(g.laterState.error), `${what}: a later client's connectionState carries it (got ${g.laterState.error})`);
  const failedEvents = g.events.filter((e) => e.type === 'loadFailed');
  checkEqual(failedEvents.length, 1, `${what}: loadFailed events`);
  check(words.test(failedEvents[0].error), `${what}: onEvent's loadFailed error (got ${failedEvents[0].error})`);
  checkEqual(g.errors.filter((e) => !e.startsWith('later ')).length, 1, `${what}: onError calls (${JSON.stringify(g.errors)})`);
  check(words.test(g.errors[0]), `${what}: onError's error (got ${g.errors[0]})`);
  checkEqual(g.errors.filter((e) => e.startsWith('later ')).length, 1, `${what}: a later client's onError calls`);
}

let code = 1;
try {
  const csp = /add 'wasm-unsafe-eval' to its script-src/;
  const strict = await visit("script-src 'self' 'unsafe-inline'");
  checkFailed(strict, csp, 'CSP without wasm-unsafe-eval');
  check(strict.violations.length > 0, 'the browser reported the CSP violation');
  log(`without 'wasm-unsafe-eval': first query ${strict.first.ok ? 'answered by early start' : 'failed'}; then ${strict.after.error}`);
  log(`  connectionState ${JSON.stringify(strict.state)}`);

  const allowed = await visit("script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'");
  checkEqual([allowed.init, allowed.first, allowed.after, allowed.sub, allowed.later],
    ['ok', { ok: true, value: 'first' }, { ok: true, value: 'after' }, { ok: true, value: 'started' }, { ok: true, value: 'later' }],
    "with 'wasm-unsafe-eval': init, queries, subscription");
  checkEqual([allowed.state.error, allowed.errors, allowed.events.filter((e) => e.type === 'loadFailed')], [null, [], []], "with 'wasm-unsafe-eval': no error");
  log(`with 'wasm-unsafe-eval': queries and the subscription answered, state ${allowed.state.state}`);

  const missing = await visit(null, '?wasm=/web/missing.wasm');
  checkFailed(missing, /answered HTTP 404: serve trpcws\.wasm at that URL/, 'a 404');
  log(`a 404: ${missing.after.error}`);
  code = 0;
} catch (err) {
  console.error(`[csp] FAIL: ${err?.stack ?? err}`);
} finally {
  await context.close().catch(() => {});
  fs.rmSync(profile, { recursive: true, force: true });
}
log(code === 0 ? 'PASS' : 'FAIL');
process.exit(code);
