// What a page sees when the WebAssembly module cannot load (issue 22), on e2e/pages/csp.html
// against the real test server, for any browser: e2e/csp-chromium.mjs and e2e/webkit.mjs.
//   1. Content-Security-Policy `script-src 'self' 'unsafe-inline'` (a response header, added to the
//      test server's answer by the page's origin server here): init() rejects, calls after it, a
//      subscription and a client made later fail with a message telling to add 'wasm-unsafe-eval'
//      to script-src; connectionState carries it; onError and onEvent ('loadFailed') report it once.
//   2. The same policy with 'wasm-unsafe-eval': the query and the subscription work, no error.
//   3. No policy, init() given a URL that answers 404: the message names the status and what to do.
//   4. Early start: the module's response is held back by the origin until the page's first
//      query has been answered (from JavaScript, over the early socket); then the module runs,
//      takes over, and a query, a subscription and a later client work.
import http from 'node:http';
import { check, checkEqual, waitFor } from './check.mjs';

export const POLICIES = {
  strict: "script-src 'self' 'unsafe-inline'",
  wasm: "script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'",
};

/**
 * The page's own origin: a server that passes every request on to the test server and adds
 * the policy named by ?csp= to the page's response as a Content-Security-Policy header. (Not
 * Playwright's page.route: Chromium's local network access checks then block the page's
 * WebSocket to the loopback test server.) The page's WebSocket goes to the test server (?ws=).
 * Returns { url(csp, extra), close }: url is the page's address for that policy (or none).
 */
export async function cspOrigin(base) {
  // A request with ?hold=1 (the module, case 4) is answered once release() is called.
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  const origin = http.createServer(async (req, res) => {
    try {
      const u = new URL(req.url, 'http://page');
      if (u.searchParams.has('hold')) {
        u.searchParams.delete('hold');
        await Promise.race([held, new Promise((r) => setTimeout(r, 20000))]);
      }
      const r = await fetch(base + u.pathname + u.search);
      const headers = { 'content-type': r.headers.get('content-type') ?? 'application/octet-stream', 'cache-control': 'no-store' };
      const policy = u.pathname === '/e2e/pages/csp.html' ? POLICIES[u.searchParams.get('csp')] : undefined;
      if (policy) headers['content-security-policy'] = policy;
      res.writeHead(r.status, headers).end(Buffer.from(await r.arrayBuffer()));
    } catch (err) {
      res.writeHead(502).end(String(err));
    }
  });
  await new Promise((resolve) => origin.listen(0, '127.0.0.1', resolve));
  const originURL = `http://127.0.0.1:${origin.address().port}`;
  const wsURL = `${base.replace(/^http/, 'ws')}/trpc`;
  return {
    url: (csp, extra = '') => `${originURL}/e2e/pages/csp.html?${new URLSearchParams({ ws: wsURL, ...(csp ? { csp } : {}) })}${extra}`,
    release: () => release(),
    close: () => origin.close(),
  };
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
  // onError also hears of the early socket's own error event, as the reference's onError does.
  const loadErrors = g.errors.filter((e) => e.includes('TRPCWebSocketClosedError: trpcws: the WebAssembly module failed to load: '));
  checkEqual(loadErrors.filter((e) => !e.startsWith('later ')).length, 1, `${what}: onError calls with the load error (${JSON.stringify(g.errors)})`);
  check(words.test(loadErrors[0]), `${what}: onError's error (got ${loadErrors[0]})`);
  checkEqual(loadErrors.filter((e) => e.startsWith('later ')).length, 1, `${what}: a later client's onError calls`);
}

/**
 * Runs the four cases. visit(csp, extra, during) opens the page for that policy (null: none)
 * with extra query text, awaits during(read) if given (read() returns window.__csp as it is
 * now), and returns window.__csp once done. engineWords matches the engine's own words for a
 * refused compile, which the message must keep. origin is cspOrigin's. Returns what was seen.
 */
export async function cspChecks(visit, origin, engineWords, log) {
  const csp = /add 'wasm-unsafe-eval' to its script-src/;
  const strict = await visit('strict');
  checkFailed(strict, csp, 'CSP without wasm-unsafe-eval');
  check(engineWords.test(strict.init), `the browser's own words are kept in the message (got ${strict.init})`);
  log(`without 'wasm-unsafe-eval': first query ${strict.first.ok ? 'answered by early start' : 'failed'}; then ${strict.after.error}`);
  log(`  connectionState ${JSON.stringify(strict.state)}`);

  const allowed = await visit('wasm');
  checkEqual([allowed.init, allowed.first, allowed.after, allowed.sub, allowed.later],
    ['ok', { ok: true, value: 'first' }, { ok: true, value: 'after' }, { ok: true, value: 'started' }, { ok: true, value: 'later' }],
    "with 'wasm-unsafe-eval': init, queries, subscription");
  checkEqual([allowed.state.error, allowed.errors, allowed.events.filter((e) => e.type === 'loadFailed')], [null, [], []], "with 'wasm-unsafe-eval': no error");
  log(`with 'wasm-unsafe-eval': queries and the subscription answered, state ${allowed.state.state}`);

  const missing = await visit(null, '&wasm=/web/missing.wasm');
  checkFailed(missing, /answered HTTP 404: serve trpcws\.wasm at that URL/, 'a 404');
  log(`a 404: first query ${missing.first.ok ? 'answered by early start' : 'failed'}; then ${missing.after.error}`);

  const early = await visit(null, `&wasm=${encodeURIComponent('/web/trpcws.wasm?hold=1')}`, async (read) => {
    await waitFor(async () => (await read())?.first, 'the first query answered while the module is held back');
    origin.release();
  });
  checkEqual([early.first, early.order.slice(0, 2), early.init, early.after, early.sub, early.later],
    [{ ok: true, value: 'first' }, ['first', 'init'], 'ok', { ok: true, value: 'after' }, { ok: true, value: 'started' }, { ok: true, value: 'later' }],
    'early start: the first query answered before the module loaded, then everything works');
  checkEqual([early.state.error, early.errors], [null, []], 'early start: no error');
  log(`early start: the first query answered while the module was held back; then init() ${early.init}, order ${early.order.join(' → ')}`);
  return { strict, allowed, missing, early };
}
