// A query, mutations, an error and a tracked subscription that survives a dropped socket,
// through @trpc/client + trpcws's wsLink, against the real test server. Run by Deno and by Bun:
//   deno run --no-prompt --import-map=e2e/deno-import-map.json \
//     --allow-net=127.0.0.1:PORT --allow-read=web/trpcws.wasm e2e/runtime-smoke.mjs http://127.0.0.1:PORT
//   bun e2e/runtime-smoke.mjs http://127.0.0.1:PORT
// "trpcws" is web/index.js itself under Deno (the import map), and under Bun the copy of web/
// that `npm pack` makes, unpacked by run.sh into e2e/node_modules/trpcws as `npm install` would:
// so web/index.js finds the same @trpc/client as this script (see README-section.md).
// init() is not called: the first client loads trpcws.wasm (beside index.js) by itself.
import { createTRPCClient } from '@trpc/client';
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
  console.error(`[${name}] overall timeout (40 s)`);
  exit(1);
}, 40000);

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

try {
  await main();
  clearTimeout(overall);
  log('ok');
  exit(0);
} catch (err) {
  console.error(`[${name}] FAIL: ${err?.stack ?? err}`);
  exit(1);
}
