// Connection max age and resubscribe control (issue 23) in a real browser, against the real test
// server, on e2e/pages/network.html?maxAge=200: the client moves to a new socket every ~200 ms
// under a tracked subscription and a query loop; every event arrives once and in order, every
// query is answered with its own input, and a subscription made with
// { context: { resubscribe: false } } ends at the first move with NOT_RESUBSCRIBED instead of
// being sent again. The server counts the sockets.
import { check, checkContiguous, checkEqual, control, waitFor } from './check.mjs';

export async function rotationChecks(page, base, log) {
  await control(base, 'reset');
  await page.goto(`${base}/e2e/pages/network.html?maxAge=200`);
  await waitFor(() => page.evaluate(() => window.__net?.ready || window.__net?.fatal), 'the network page to connect', 20000);
  await page.evaluate(() => {
    const n = window.__net;
    if (n.fatal) throw new Error(n.fatal);
    const r = (n.rotation = { ids: [], started: 0, errors: [], once: null, queries: 0, bad: [], stop: false });
    n.trpc.events.subscribe({ intervalMs: 5 }, {
      onStarted: () => r.started++,
      onData: (d) => r.ids.push(d.id),
      onError: (err) => r.errors.push(String(err?.message ?? err)),
    });
    n.trpc.counter.subscribe({ count: 1000000, intervalMs: 5 }, {
      context: { resubscribe: false },
      onError: (err) => { r.once = { name: err.cause?.name, code: err.cause?.code }; },
    });
    (async () => {
      for (let i = 0; !r.stop; i++) {
        try {
          const v = await n.trpc.slow.query({ ms: 15, value: i });
          if (v !== i) r.bad.push(`query ${i} answered with ${v}`);
          r.queries++;
        } catch (err) {
          r.bad.push(`query ${i}: ${err?.message ?? err}`);
        }
      }
    })();
  });
  const rotations = 8;
  await waitFor(async () => (await control(base, 'stats')).totalConnections >= rotations, `${rotations} sockets`, 20000);
  const seen = await page.evaluate(() => { window.__net.rotation.stop = true; return window.__net.rotation.ids.length; });
  const r = await waitFor(() => page.evaluate((seen) => {
    const r = window.__net.rotation;
    return r.ids.length >= seen + 3 ? JSON.parse(JSON.stringify(r)) : null;
  }, seen), 'events after the last move', 10000);
  const st = await control(base, 'stats');
  checkContiguous(r.ids, 1, r.ids.length, 'tracked events across the moves');
  checkEqual([r.started, r.errors, r.bad], [1, [], []], 'one onStarted, no error, every query answered with its input');
  check(r.queries > 0, 'queries answered');
  checkEqual(r.once, { name: 'TRPCWebSocketNotResubscribedError', code: 'NOT_RESUBSCRIBED' }, 'the resubscribe: false subscription');
  checkEqual(st.subscriptionStarts.filter((s) => s.path === 'counter').length, 1, 'the resubscribe: false subscription sent once');
  log(`max age: ${st.totalConnections} sockets, ${r.ids.length} events in order, ${r.queries} queries, resubscribe: false ended with NOT_RESUBSCRIBED`);
}
