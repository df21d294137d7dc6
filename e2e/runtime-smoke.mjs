// A query, mutations, an error and a tracked subscription that survives a dropped socket,
// through @trpc/client + trpcws's wsLink, against the real test server; then the connection
// policies (issue 10): requestTimeoutMs and context.timeoutMs, maxQueued on a lazy client,
// reconnect() under a tracked subscription, stats(), retry.maxAttempts giving up on a closed port
// (127.0.0.1:9, the discard port: nothing listens there). Run by Deno and by Bun:
//   deno run --no-prompt --import-map=e2e/deno-import-map.json \
//     --allow-net=127.0.0.1:PORT,127.0.0.1:9 --allow-read=web/trpcws.wasm e2e/runtime-smoke.mjs http://127.0.0.1:PORT
//   bun e2e/runtime-smoke.mjs http://127.0.0.1:PORT
// "trpcws" is web/index.js itself under Deno (the import map), and under Bun the copy of web/
// that `npm pack` makes, unpacked by run.sh into e2e/node_modules/trpcws as `npm install` would:
// so web/index.js finds the same @trpc/client as this script (see README-section.md).
// init() is not called: the first client loads trpcws.wasm (beside index.js) by itself.
import { createTRPCClient, TRPCClientError } from '@trpc/client';
import { createTRPCWebSocket, wsLink } from 'trpcws';
import { check, checkContiguous, checkEqual, control, waitFor, within } from './lib/check.mjs';

const runtime = globalThis.Deno ? `deno ${Deno.version.deno}` : globalThis.Bun ? `bun ${Bun.version}` : `node ${process.version}`;
const name = runtime.split(' ')[0];
const args = globalThis.Deno ? Deno.args : process.argv.slice(2);
const exit = (code) => (globalThis.Deno ? Deno.exit(code) : process.exit(code));
const t0 = Date.now();
const log = (s) => console.log(`[${name} +${((Date.now() - t0) / 1000).toFixed(1)}s] ${s}`);

const base = args[0];
if (!base) {
  console.error('usage: runtime-smoke.mjs http://127.0.0.1:PORT');
  exit(2);
}
const url = `${base.replace(/^http/, 'ws')}/trpc`;
const overall = setTimeout(() => {
  console.error(`[${name}] overall timeout (60 s)`);
  exit(1);
}, 60000);

async function main() {
  log(`${runtime}; trpcws = ${import.meta.resolve('trpcws')}`);
  await control(base, 'reset');
  const client = createTRPCWebSocket({ url });
  const trpc = createTRPCClient({ links: [wsLink({ client })] });
  const states = [];
  client.connectionState.subscribe({ next: (s) => states.push(s.state) });

  const input = { from: name, list: [1, 'two', { three: 3 }], unicode: 'héllo ✓' };
  checkEqual(await within(trpc.echo.query(input), 15000, 'echo query (includes loading the wasm)'), input, 'echo query');
  log(`query echo → ${JSON.stringify(input)}`);

  checkEqual(await within(trpc.increment.mutate({ by: 5 }), 5000, 'increment'), 5, 'increment mutation');
  checkEqual(await within(trpc.getCount.query(), 5000, 'getCount'), 5, 'getCount query');
  const m = await within(trpc.postMessage.mutate({ text: `hi from ${name}`, user: name }), 5000, 'postMessage');
  checkEqual([m.id, m.text, m.user], ['1', `hi from ${name}`, name], 'postMessage mutation');
  log('mutation increment → 5, query getCount → 5, mutation postMessage → #1');

  const err = await within(trpc.fail.query({ code: 'NOT_FOUND', message: 'no such thing' }).then(() => null, (e) => e), 5000, 'fail');
  check(err, 'the fail query rejects');
  checkEqual([err.name, err.message, err.data?.code, err.data?.httpStatus, err.data?.path],
    ['TRPCClientError', 'no such thing', 'NOT_FOUND', 404, 'fail'], 'error of the fail query');
  log('query fail → TRPCClientError NOT_FOUND 404');

  // Tracked subscription; the server drops every socket after a few events, the client
  // reconnects and resends it with lastEventId: the ids must run 1..max with no gap or duplicate.
  const max = 15;
  const ids = [];
  const data = [];
  let starts = 0;
  const done = new Promise((resolve, reject) => {
    trpc.events.subscribe({ intervalMs: 30, max }, {
      onStarted: () => starts++,
      onData(ev) {
        ids.push(ev.id);
        data.push(ev.data);
      },
      onError: reject,
      onComplete: resolve,
    });
  });
  await waitFor(() => ids.length >= 4, '4 events', 10000, 10);
  const before = ids.length;
  await control(base, 'drop');
  await within(done, 20000, 'the subscription to complete');
  checkContiguous(ids, 1, max, 'tracked event ids across the dropped socket');
  checkEqual(data, ids.map((id) => ({ n: Number(id) })), 'tracked event data');
  checkEqual(starts, 2, 'onStarted calls (first start + resume)');
  const resumes = (await control(base, 'stats')).subscriptionStarts.filter((s) => s.path === 'events');
  checkEqual(resumes.map((s) => s.lastEventId ?? null).slice(0, 1), [null], 'first start without lastEventId');
  check(resumes.length === 2 && Number(resumes[1].lastEventId) >= before,
    `resent with the last id seen (starts ${JSON.stringify(resumes.map((s) => s.lastEventId))}, ${before} events before the drop)`);
  log(`subscription events → ids 1..${max}, dropped after ${before}, resumed after ${resumes[1].lastEventId}`);

  await within(client.close(), 5000, 'close()');
  checkEqual(states.at(-1), 'idle', 'state after close()');
  check(states.includes('pending') && states.filter((s) => s === 'connecting').length >= 2,
    `states went connecting → connected → connecting → connected → idle (got ${states.join(' → ')})`);
  log(`close() → idle; states ${states.join(' → ')}`);
}

const STATS_FIELDS = ['state', 'socketsOpened', 'reconnects', 'attempt', 'queued', 'inFlight', 'subscriptions',
                      'framesIn', 'framesOut', 'bytesIn', 'bytesOut', 'lastPingRttMs', 'connectedAt'];
const causeName = (err) => (err instanceof TRPCClientError ? err.cause?.name : `not a TRPCClientError: ${err}`);
const rejection = (p, ms, what) => within(p.then((v) => { throw new Error(`${what} resolved with ${JSON.stringify(v)}`); }, (e) => e), ms, what);

async function policies() {
  await control(base, 'reset');

  // requestTimeoutMs: the slow query fails with a TimeoutError; the socket and the next call carry on.
  const t = createTRPCWebSocket({ url, requestTimeoutMs: 300 });
  const tt = createTRPCClient({ links: [wsLink({ client: t })] });
  checkEqual(await within(tt.echo.query('warm', { context: { timeoutMs: 10000 } }), 10000, 'warm-up echo'), 'warm', 'echo before the timeout');
  const slowErr = await rejection(tt.slow.query({ ms: 5000, value: 'late' }), 5000, 'slow query under requestTimeoutMs');
  checkEqual([slowErr instanceof TRPCClientError, causeName(slowErr)], [true, 'TimeoutError'], 'requestTimeoutMs error (TRPCClientError, cause.name)');
  // context.timeoutMs overrides it: longer here, so the same procedure answers.
  checkEqual(await within(tt.slow.query({ ms: 500, value: 'kept' }, { context: { timeoutMs: 10000 } }), 5000, 'slow with context.timeoutMs'),
    'kept', 'slow query with a longer context.timeoutMs');
  const ts = t.stats();
  checkEqual([ts.state, ts.socketsOpened, ts.inFlight], ['pending', 1, 0], 'stats after the timeout (same socket, nothing in flight)');
  log(`requestTimeoutMs 300 → ${slowErr.name} cause ${causeName(slowErr)}: ${slowErr.message}; context.timeoutMs overrides it; socket kept`);

  // stats(): every field, with plausible values.
  checkEqual(Object.keys(ts), STATS_FIELDS, 'stats() fields');
  check(ts.framesIn >= 2 && ts.framesOut >= 3 && ts.bytesIn > 0 && ts.bytesOut > 0 && ts.reconnects === 0 && ts.attempt === 0 &&
        ts.queued === 0 && ts.subscriptions === 0 && typeof ts.connectedAt === 'number' && ts.lastPingRttMs === null,
    `stats() values: ${JSON.stringify(ts)}`);
  log(`stats() → ${JSON.stringify(ts)}`);
  await within(t.close(), 5000, 'close()');

  // maxQueued on a lazy client: calls made before it has connected wait; one more is refused at once.
  const q = createTRPCWebSocket({ url, lazy: { enabled: true, closeMs: 0 }, maxQueued: 2 });
  const qt = createTRPCClient({ links: [wsLink({ client: q })] });
  const a = qt.echo.query('a');
  const b = qt.echo.query('b');
  const refused = await rejection(qt.echo.query('c'), 2000, 'the third queued call');
  checkEqual([refused instanceof TRPCClientError, causeName(refused)], [true, 'QueueFullError'], 'maxQueued error (TRPCClientError, cause.name)');
  checkEqual(await within(Promise.all([a, b]), 10000, 'the two queued calls'), ['a', 'b'], 'queued calls answered');
  log(`maxQueued 2, lazy: third call → ${causeName(refused)}; the two queued → a, b`);
  await within(q.close(), 5000, 'close()');

  // reconnect(): a new socket, make-before-break: the tracked subscription goes on with no gap,
  // no duplicate and one onStarted; stats() count the new socket.
  const r = createTRPCWebSocket({ url });
  const rt = createTRPCClient({ links: [wsLink({ client: r })] });
  const max = 40;
  const ids = [];
  let starts = 0;
  const done = new Promise((resolve, reject) => {
    rt.events.subscribe({ intervalMs: 20, max }, { onStarted: () => starts++, onData: (ev) => ids.push(ev.id), onError: reject, onComplete: resolve });
  });
  await waitFor(() => ids.length >= 5, '5 events', 10000, 10);
  const before = ids.length;
  r.reconnect();
  await within(done, 20000, 'the subscription to complete across reconnect()');
  checkContiguous(ids, 1, max, 'tracked event ids across reconnect()');
  checkEqual(starts, 1, 'onStarted calls across reconnect()');
  const rs = r.stats();
  checkEqual([rs.state, rs.socketsOpened, rs.reconnects], ['pending', 2, 1], 'stats after reconnect() (state, socketsOpened, reconnects)');
  log(`reconnect() after ${before} events → ids 1..${max}, one onStarted; stats socketsOpened ${rs.socketsOpened}, reconnects ${rs.reconnects}`);
  await within(r.close(), 5000, 'close()');

  // retry.maxAttempts against a closed port: gives up, state idle with the cause, the call fails.
  const events = [];
  const g = createTRPCWebSocket({ url: 'ws://127.0.0.1:9', retry: { maxAttempts: 3 }, retryDelayMs: () => 20, onEvent: (e) => events.push(e) });
  const gt = createTRPCClient({ links: [wsLink({ client: g })] });
  const gaveUp = await rejection(gt.echo.query('nobody'), 15000, 'a call to a closed port');
  check(gaveUp instanceof TRPCClientError, `the call fails with a TRPCClientError (got ${gaveUp})`);
  const st = await waitFor(() => { const s = g.connectionState.get(); return s.state === 'idle' && s; }, 'state idle after giving up', 5000);
  check(st.error instanceof TRPCClientError && st.error.message, `state idle with an error (got ${JSON.stringify(st)})`);
  const gs = g.stats();
  checkEqual([gs.state, gs.socketsOpened], ['idle', 0], 'stats after giving up');
  checkEqual(events.filter((e) => e.type === 'giveUp').length, 1, 'giveUp events');
  log(`retry.maxAttempts 3 on a closed port → idle, error ${JSON.stringify(st.error.message)}; call rejected: ${gaveUp.message}`);
  await within(g.close(), 5000, 'close()');
}

try {
  await main();
  await policies();
  clearTimeout(overall);
  log('ok');
  exit(0);
} catch (err) {
  console.error(`[${name}] FAIL: ${err?.stack ?? err}`);
  exit(1);
}
