// Chromium (Debian's /usr/bin/chromium) driven by playwright-core: auth refresh (issue 23,
// `refreshAuth`) in a real browser, against the real test server, on e2e/pages/auth.html. The
// server's `secret` and `secretAdd` answer UNAUTHORIZED unless the socket's connectionParams.token
// is the server's current token, which the test rotates (/control/set?token=); the page's
// refreshAuth fetches the new one from the server. The same cases as web/test/auth.test.js (Node):
//   1. one query refused after a rotation: one refresh (reason: the UNAUTHORIZED TRPCClientError,
//      no close code), a new socket with the fresh token, the query sent there and answered;
//      then five at once after a second rotation: several refused on the wire, one refresh, all
//      five answered; a tracked subscription across both moves: ids 1..N, one onStarted;
//   2. a retried query refused again (the refresh yields a wrong token) reaches its caller, with
//      no second refresh;
//   3. a mutation refused: not sent again by default (the caller gets UNAUTHORIZED, the server's
//      counter stays 0), sent again with refreshAuthRetryMutations (it runs once);
//   4. a refreshAuth that rejects: the query fails with a TRPCClientError whose cause is a
//      TRPCWebSocketAuthRefreshError (code AUTH_REFRESH_FAILED, its cause and reason); no second
//      refresh, no new socket, the socket still answers;
//   5. the server closing with 4401: refreshAuth (closeCode 4401) before the reconnect, the
//      subscription resumes after its last event id; with a refreshAuth that keeps rejecting and
//      retry.maxAttempts 3: three refreshes, then idle, nothing dialled without fresh credentials;
//   6. connection params refused (createContext throws UNAUTHORIZED): one refresh, the first call
//      answered on a socket opened with the fresh token.
// usage: node auth-chromium.mjs http://127.0.0.1:PORT
import fs from 'node:fs';
import { launchChromium } from './lib/chromium.mjs';
import { check, checkContiguous, checkEqual, control, waitFor } from './lib/check.mjs';
import { watchPage } from './lib/demo-page.mjs';

const base = process.argv[2];
const t0 = Date.now();
const log = (s) => console.log(`[auth +${((Date.now() - t0) / 1000).toFixed(1)}s] ${s}`);
setTimeout(() => { console.error('[auth] overall timeout (80 s)'); process.exit(1); }, 80000).unref();

const { context, profile } = await launchChromium('trpcws-chromium-auth-');

// The server's sockets since the last /control/reset, numbered from 1 (its ids go on across resets).
const sockets = (st) => new Map(st.connectionLog.map((c, i) => [c.id, i + 1]));
// The tRPC messages of the server's frame log, parsed, with the direction and socket of each.
function messages(st) {
  const socket = sockets(st);
  const out = [];
  for (const f of st.frameLog) {
    let m;
    try { m = JSON.parse(f.data); } catch { continue; }
    const conn = socket.get(f.conn);
    if (conn === undefined) continue; // a socket from before the reset
    for (const one of Array.isArray(m) ? m : [m]) if (one && typeof one === 'object') out.push({ conn, dir: f.dir, m: one });
  }
  return out;
}
// Requests for path the server received, per socket: {conn: count}.
function requestsPerSocket(st, path) {
  const n = {};
  for (const { conn, dir, m } of messages(st)) if (dir === 'in' && m.params?.path === path) n[conn] = (n[conn] ?? 0) + 1;
  return n;
}
// UNAUTHORIZED answers the server sent, per socket: {conn: count}.
function refusalsPerSocket(st) {
  const n = {};
  for (const { conn, dir, m } of messages(st)) if (dir === 'out' && m.error?.data?.code === 'UNAUTHORIZED') n[conn] = (n[conn] ?? 0) + 1;
  return n;
}
const tokens = (st) => st.connectionLog.map((c) => c.connectionParams?.token ?? null);
const unauthorized = (r, what) => {
  checkEqual([r.error?.clientError, r.error?.name, r.error?.code], [true, 'TRPCClientError', 'UNAUTHORIZED'], `${what}: the caller's error`);
};

let code = 1;
try {
  const page = context.pages()[0] ?? await context.newPage();
  const noPageErrors = watchPage(page, log);
  await page.goto(`${base}/e2e/pages/auth.html`);
  await waitFor(() => page.evaluate(() => window.__auth?.ready || window.__auth?.fatal), 'the auth page to load the module', 20000);
  const fatal = await page.evaluate(() => window.__auth.fatal);
  if (fatal) throw new Error(`page: ${fatal}`);
  const view = () => page.evaluate(() => window.__auth.view());
  const until = (what, pred, timeoutMs = 10000) => waitFor(async () => {
    const v = await view();
    return pred(v) ? v : null;
  }, what, timeoutMs);
  const connect = (opts) => page.evaluate((o) => window.__auth.connect(o), opts ?? {});
  const call = (path, kind = 'query', input) => page.evaluate(([p, k, i]) => window.__auth.call(p, k, i), [path, kind, input]);
  const rotate = (token) => control(base, `set?token=${token}`);

  // 1. UNAUTHORIZED: one query, then five at once; the subscription across both moves.
  await control(base, 'reset');
  await connect();
  await page.evaluate(() => window.__auth.subscribe(20));
  await until('3 events', (v) => v.sub.ids.length >= 3);
  checkEqual(await call('secret'), { ok: { token: 'good' } }, 'secret with the first token');
  await rotate('t2');
  checkEqual(await call('secret'), { ok: { token: 't2' } }, 'secret after the rotation: the caller sees only the answer');
  let v = await view();
  checkEqual(v.refreshes.length, 1, 'one refreshAuth for the refused query');
  const r0 = v.refreshes[0];
  checkEqual([r0.error?.clientError, r0.error?.code, r0.closeCode, r0.token], [true, 'UNAUTHORIZED', null, 'good'],
    'reason: the UNAUTHORIZED TRPCClientError, no close code, asked while holding the old token');
  let st = await control(base, 'stats');
  checkEqual(tokens(st), ['good', 't2'], 'server: a second socket, opened with the fresh connectionParams');
  checkEqual(refusalsPerSocket(st), { 1: 1 }, 'server: one UNAUTHORIZED answer, on the first socket');
  checkEqual(requestsPerSocket(st, 'secret'), { 1: 2, 2: 1 }, 'server: secret twice on the first socket (answered, refused), then retried once on the second');
  log(`one refused query: refreshAuth once, socket 2 opened with token t2, the query retried there and answered`);

  await rotate('t3');
  const five = await page.evaluate(() => window.__auth.calls(5, 'secret', 'query'));
  checkEqual(five, Array(5).fill({ ok: { token: 't3' } }), 'five concurrent secret queries after the second rotation');
  v = await view();
  checkEqual(v.refreshes.length, 2, 'one more refreshAuth for the five concurrent failures');
  checkEqual([v.refreshes[1].error?.code, v.refreshes[1].token], ['UNAUTHORIZED', 't2'], 'the second reason');
  st = await control(base, 'stats');
  checkEqual(tokens(st), ['good', 't2', 't3'], 'server: a third socket with the next token');
  const refused = refusalsPerSocket(st)[2] ?? 0;
  check(refused >= 2, `server: several of the five refused on socket 2 at once (got ${refused}), so one refresh stood for several failures`);
  checkEqual(requestsPerSocket(st, 'secret')[3], refused, 'server: each refused query sent once again, on socket 3');
  const n = v.sub.ids.length;
  v = await until('events after the second move', (v) => v.sub.ids.length >= n + 5);
  await page.evaluate(() => window.__auth.sub.handle.unsubscribe());
  v = await view();
  checkContiguous(v.sub.ids, 1, v.sub.ids.length, 'tracked events across two auth refreshes');
  checkEqual([v.sub.started, v.sub.errors], [1, []], 'one onStarted, no error');
  st = await control(base, 'stats');
  const starts = st.subscriptionStarts.filter((s) => s.path === 'events');
  checkEqual(starts.map((s) => sockets(st).get(s.conn)), [1, 2, 3], 'server: the subscription sent on each socket');
  check(starts[0].lastEventId === null && Number(starts[1].lastEventId) > 0 && Number(starts[2].lastEventId) > Number(starts[1].lastEventId),
    `server: resent after its last event id each time (got ${JSON.stringify(starts.map((s) => s.lastEventId))})`);
  log(`five concurrent refused queries: ${refused} UNAUTHORIZED on the wire, one refreshAuth, all answered on socket 3; ` +
    `events 1..${v.sub.ids.length}, resumed after ${starts[1].lastEventId} and ${starts[2].lastEventId}, one onStarted`);

  // 2. A retried query refused again reaches its caller; no second refresh.
  await control(base, 'reset');
  await connect({ nextToken: 'still-wrong' });
  await rotate('t2');
  unauthorized(await call('secret'), 'a query refused again after the refresh');
  v = await view();
  checkEqual(v.refreshes.length, 1, 'one refreshAuth for a query refused twice');
  st = await control(base, 'stats');
  checkEqual([tokens(st), requestsPerSocket(st, 'secret')], [['good', 'still-wrong'], { 1: 1, 2: 1 }],
    'server: sent once on each socket, the second with the refreshed (still wrong) token');
  log('a query refused again after the refresh: UNAUTHORIZED to the caller, refreshAuth once');

  // 3. Mutations: not sent again by default; with refreshAuthRetryMutations, once.
  for (const retryMutations of [false, true]) {
    await control(base, 'reset');
    await connect({ retryMutations });
    await rotate('t2');
    const r = await call('secretAdd', 'mutate');
    if (retryMutations) checkEqual(r, { ok: 1 }, 'refreshAuthRetryMutations: the mutation retried and answered');
    else unauthorized(r, 'a refused mutation');
    v = await until('the refresh', (v) => v.refreshes.length >= 1);
    st = await control(base, 'stats');
    checkEqual([v.refreshes.length, st.secretMutations, requestsPerSocket(st, 'secretAdd')],
      [1, retryMutations ? 1 : 0, retryMutations ? { 1: 1, 2: 1 } : { 1: 1 }],
      `retryMutations ${retryMutations}: refreshes, the server's count of runs, secretAdd per socket`);
    checkEqual(await call('secret'), { ok: { token: 't2' } }, `retryMutations ${retryMutations}: a query after it, with the fresh token`);
  }
  log('a refused mutation: UNAUTHORIZED to the caller and never run by default; with refreshAuthRetryMutations sent again and run once');

  // 4. A refreshAuth that rejects.
  await control(base, 'reset');
  await connect({ fail: 'auth server down' });
  await rotate('t2');
  const failed = await call('secret');
  const e = failed.error;
  checkEqual([e?.clientError, e?.cause?.name, e?.cause?.authRefreshError, e?.cause?.code, e?.cause?.cause?.message],
    [true, 'TRPCWebSocketAuthRefreshError', true, 'AUTH_REFRESH_FAILED', 'auth server down'],
    'a failed refresh: TRPCClientError caused by a TRPCWebSocketAuthRefreshError caused by what refreshAuth threw');
  check(/auth refresh failed: auth server down/.test(e.cause.message), `its message (got ${JSON.stringify(e.cause.message)})`);
  checkEqual([e.cause.reason?.error?.code, e.cause.reason?.closeCode], ['UNAUTHORIZED', null], 'its reason: the refused query');
  checkEqual(await call('echo', 'query', 'still here'), { ok: 'still here' }, 'the socket still answers after the failed refresh');
  v = await view();
  st = await control(base, 'stats');
  checkEqual([v.refreshes.length, st.totalConnections], [1, 1], 'one refreshAuth, no new socket without fresh credentials');
  log(`a rejecting refreshAuth: ${e.cause.name} (${e.cause.code}) "${e.cause.message}", refreshAuth once, no new socket`);

  // 5. Close 4401: refreshed before the reconnect; the subscription resumes.
  await control(base, 'reset');
  await connect();
  await page.evaluate(() => window.__auth.subscribe(20));
  await until('3 events', (v) => v.sub.ids.length >= 3);
  await rotate('t3');
  await control(base, 'close?code=4401');
  v = await until('the refresh', (v) => v.refreshes.length >= 1);
  checkEqual([v.refreshes[0].closeCode, v.refreshes[0].token], [4401, 'good'], 'reason: close code 4401');
  const m = v.sub.ids.length;
  await until('events after the reconnect', (v) => v.sub.ids.length >= m + 5);
  checkEqual(await call('secret'), { ok: { token: 't3' } }, 'secret after the 4401 refresh');
  await page.evaluate(() => window.__auth.sub.handle.unsubscribe());
  v = await view();
  checkContiguous(v.sub.ids, 1, v.sub.ids.length, 'tracked events across the 4401 close');
  checkEqual([v.refreshes.length, v.sub.errors], [1, []], 'one refreshAuth, no subscription error');
  st = await control(base, 'stats');
  checkEqual([st.connectionLog[0].closeCode, tokens(st)], [4401, ['good', 't3']], 'server: closed with 4401, the next socket with the fresh token');
  const resumed = st.subscriptionStarts.filter((s) => s.path === 'events').map((s) => s.lastEventId);
  check(resumed.length === 2 && resumed[0] === null && Number(resumed[1]) > 0, `server: resubscribed after its last event id (got ${JSON.stringify(resumed)})`);
  log(`close 4401: refreshAuth with closeCode 4401, socket 2 with token t3, events 1..${v.sub.ids.length} resumed after ${resumed[1]}`);

  // 5b. Close 4401 with a refreshAuth that keeps rejecting: bounded by retry.maxAttempts.
  await control(base, 'reset');
  await connect({ fail: 'auth server down', maxAttempts: 3 });
  checkEqual(await call('secret'), { ok: { token: 'good' } }, 'secret before the close');
  await control(base, 'close?code=4401');
  v = await until('the client to give up', (v) => v.state === 'idle' && v.refreshes.length >= 1);
  st = await control(base, 'stats');
  checkEqual([v.refreshes.length, v.refreshes[0].closeCode, st.totalConnections], [3, 4401, 1],
    'three refreshAuth calls (retry.maxAttempts 3), then idle; nothing dialled without fresh credentials');
  log(`close 4401, refreshAuth rejecting, maxAttempts 3: ${v.refreshes.length} refreshes, then idle; states ${v.states.join(' → ')}`);

  // 6. Connection params refused (createContext throws UNAUTHORIZED: /control/set?rejectParams=1):
  //    the first call refreshes and goes out on a socket opened with the fresh token.
  await control(base, 'reset');
  await control(base, 'set?rejectParams=1');
  await connect({ token: 'stale' });
  checkEqual(await call('secret'), { ok: { token: 'good' } }, 'secret on a client whose first socket was refused');
  v = await view();
  st = await control(base, 'stats');
  // The reason is the server's UNAUTHORIZED itself when the query had gone out on the refused
  // socket and was answered with it, else the closed socket's error with it as its cause.
  const r6 = v.refreshes[0];
  const refusal = r6?.error?.name === 'TRPCWebSocketClosedError' ? r6.error.cause : r6?.error;
  checkEqual([v.refreshes.length, refusal?.clientError, refusal?.code, refusal?.message, r6?.token], [1, true, 'UNAUTHORIZED', 'bad token', 'stale'],
    `one refreshAuth for the refused connection params, its reason the server's UNAUTHORIZED (${JSON.stringify(v.refreshes)})`);
  checkEqual([tokens(st), requestsPerSocket(st, 'secret')[2]], [['stale', 'good'], 1],
    'server: the refused socket, then one with the fresh token, where the query went');
  log(`connection params refused: refreshAuth once (${r6.error.name}${refusal === r6.error ? '' : ` caused by ${refusal.name}`} ${refusal.code} "${refusal.message}", close code ${r6.closeCode}), ` +
    `the query answered on socket 2; secret on socket 1: ${requestsPerSocket(st, 'secret')[1] ?? 0}`);

  await page.evaluate(() => window.__auth.client.close());
  noPageErrors();
  log('ok');
  code = 0;
} catch (err) {
  console.error(`[auth] FAIL: ${err?.stack ?? err}`);
} finally {
  // The server is shared with the scripts run after this one: leave its token and rejectParams as found.
  await control(base, 'reset').catch((err) => { console.error(`[auth] reset: ${err}`); code = 1; });
  await context.close().catch(() => {});
  fs.rmSync(profile, { recursive: true, force: true });
}
process.exit(code);
