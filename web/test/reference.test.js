// The same calls through @trpc/client's own wsLink + createWSClient and
// through ours, in the same run against the same real server: results,
// errors and subscription callbacks must be deep-equal.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTRPCClient, createWSClient as refCreateWSClient, wsLink as refWsLink } from '@trpc/client';
import superjson from 'superjson';
import { createTRPCWebSocket, wsLink } from '../index.js';
import { startServer, waitFor, WebSocketImpl, wsMode } from './helpers.js';

const implementations = {
  reference: { create: refCreateWSClient, link: refWsLink },
  trpcws: { create: createTRPCWebSocket, link: wsLink },
};

function clients(server, opts = {}, linkOpts = {}) {
  const out = {};
  for (const [name, impl] of Object.entries(implementations)) {
    const client = impl.create({ url: server.url, WebSocket: WebSocketImpl, ...opts });
    out[name] = { client, trpc: createTRPCClient({ links: [impl.link({ client, ...linkOpts })] }) };
  }
  return out;
}

function withoutStack(v) {
  if (!v || typeof v !== 'object') return v;
  const { stack, ...rest } = v;
  if (rest.data && typeof rest.data === 'object') rest.data = withoutStack(rest.data);
  return rest;
}

/** What a caller can observe of a settled call. */
async function outcome(promise) {
  try {
    return { ok: true, value: await promise };
  } catch (err) {
    return {
      ok: false,
      name: err.name,
      ctor: err.constructor?.name,
      message: err.message,
      shape: withoutStack(err.shape),
      data: withoutStack(err.data),
      cause: err.cause === undefined ? undefined : { name: err.cause?.name, message: err.cause?.message },
    };
  }
}

/** Every callback of a subscription, in order, until it ends. */
function subscriptionLog(trpc, path, input) {
  return new Promise((resolve) => {
    const log = [];
    trpc[path].subscribe(input, {
      onStarted: (o) => log.push(['started', Object.keys(o)]),
      onData: (d) => log.push(['data', d]),
      onStopped: () => log.push(['stopped']),
      onConnectionStateChange: (s) => log.push(['state', s.type, s.state, s.error]),
      onError: (err) => {
        log.push(['error', err.name, err.message, withoutStack(err.shape), withoutStack(err.data)]);
        setTimeout(() => resolve(log), 20); // nothing may follow an error
      },
      onComplete: () => {
        log.push(['complete']);
        resolve(log);
      },
    });
  });
}

const calls = [
  ['echo object', (t) => t.echo.query({ a: 1, b: ['x', null, { c: true }], s: 'ü😀' })],
  ['echo undefined', (t) => t.echo.query()],
  ['echo null', (t) => t.echo.query(null)],
  ['echo string', (t) => t.echo.query('str')],
  ['add', (t) => t.add.mutate({ a: 20, b: 22 })],
  ['void mutation', (t) => t.voidMutation.mutate()],
  ['fail NOT_FOUND', (t) => t.fail.query({ code: 'NOT_FOUND', message: 'nope' })],
  ['fail UNAUTHORIZED', (t) => t.fail.query({ code: 'UNAUTHORIZED' })],
  ['fail TOO_MANY_REQUESTS', (t) => t.fail.query({ code: 'TOO_MANY_REQUESTS', message: 'slow down' })],
  ['crash', (t) => t.crash.query()],
  ['bad input', (t) => t.add.mutate({ a: 'x' })],
  ['unknown procedure', (t) => t.nope.query()],
  ['large echo', (t) => t.echo.query({ s: 'ü😀x'.repeat(3000), n: Array.from({ length: 300 }, (_, i) => i * 1.5) })],
  ['large error message', (t) => t.fail.query({ code: 'BAD_REQUEST', message: 'é'.repeat(2000) })],
];

describe(`same results as @trpc/client's wsLink (${wsMode})`, () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(() => server.stop());

  test('queries, mutations and errors', async () => {
    const c = clients(server);
    for (const [name, call] of calls) {
      const [ref, ours] = [await outcome(call(c.reference.trpc)), await outcome(call(c.trpcws.trpc))];
      assert.deepEqual(ours, ref, name);
    }
    // The same calls, all at once (a batch for both).
    const all = async (trpc) => Promise.all(calls.map(([, call]) => outcome(call(trpc))));
    assert.deepEqual(await all(c.trpcws.trpc), await all(c.reference.trpc), 'batched');
    await Promise.all([c.reference.client.close(), c.trpcws.client.close()]);
  });

  test('subscriptions: callbacks and their order', async () => {
    const c = clients(server);
    await Promise.all([c.reference.trpc.echo.query(1), c.trpcws.trpc.echo.query(1)]);
    for (const [path, input] of [
      ['counter', { count: 4, intervalMs: 1 }],
      ['events', { intervalMs: 1, max: 3 }],
      ['failingSub', { after: 2 }],
      ['failingSub', { after: 0 }],
      ['flood', { count: 50, size: 1000 }],
    ]) {
      const ref = await subscriptionLog(c.reference.trpc, path, input);
      const ours = await subscriptionLog(c.trpcws.trpc, path, input);
      assert.deepEqual(ours, ref, `${path} ${JSON.stringify(input)}`);
    }
    await Promise.all([c.reference.client.close(), c.trpcws.client.close()]);
  });

  test('abort and close() errors', async () => {
    const c = clients(server);
    const aborted = async (trpc) => {
      const ac = new AbortController();
      const p = outcome(trpc.slow.query({ ms: 200 }, { signal: ac.signal }));
      setTimeout(() => ac.abort(), 20);
      return p;
    };
    assert.deepEqual(await aborted(c.trpcws.trpc), await aborted(c.reference.trpc), 'aborted call');
    await Promise.all([c.reference.client.close(), c.trpcws.client.close()]);

    const lazy = clients(server, { lazy: { enabled: true } });
    const unsent = async ({ client, trpc }) => {
      const p = outcome(trpc.echo.query('x'));
      await client.close();
      return p;
    };
    assert.deepEqual(await unsent(lazy.trpcws), await unsent(lazy.reference), 'closed before connection');
    await Promise.all([lazy.reference.client.close(), lazy.trpcws.client.close()]);
  });

  test('connection states seen by a subscription across close() and reconnect', async () => {
    const c = clients(server, { lazy: { enabled: true, closeMs: 0 } });
    const states = {};
    for (const [name, { client }] of Object.entries(c)) {
      states[name] = [];
      client.connectionState.subscribe({ next: (s) => states[name].push(s.state) });
      assert.deepEqual(states[name], ['idle'], name);
    }
    for (const { trpc } of Object.values(c)) await trpc.echo.query('x');
    await waitFor(() => states.reference.at(-1) === 'idle' && states.trpcws.at(-1) === 'idle', 3000, 'lazy close');
    assert.deepEqual(states.trpcws, states.reference);
    await Promise.all([c.reference.client.close(), c.trpcws.client.close()]);
  });
});

describe(`same results with superjson (${wsMode})`, () => {
  let server;
  before(async () => {
    server = await startServer(['--transformer', 'superjson']);
  });
  after(() => server.stop());

  test('Date, Map, Set, BigInt, undefined and errors', async () => {
    const c = clients(server, {}, { transformer: superjson });
    const inputs = [
      { when: new Date(1700000000000), map: new Map([['a', new Set([1])]]), n: 12n, u: undefined },
      undefined,
      [new Date(0), null],
    ];
    for (const input of inputs) {
      const [ref, ours] = [await outcome(c.reference.trpc.echo.query(input)), await outcome(c.trpcws.trpc.echo.query(input))];
      assert.deepEqual(ours, ref);
    }
    const err = async (t) => outcome(t.fail.query({ code: 'CONFLICT', message: 'clash' }));
    assert.deepEqual(await err(c.trpcws.trpc), await err(c.reference.trpc));
    const sub = async (t) => subscriptionLog(t, 'counter', { count: 2, intervalMs: 1 });
    await Promise.all([c.reference.trpc.echo.query(1), c.trpcws.trpc.echo.query(1)]);
    assert.deepEqual(await sub(c.trpcws.trpc), await sub(c.reference.trpc));
    await Promise.all([c.reference.client.close(), c.trpcws.client.close()]);
  });
});
