// The same calls through @trpc/client's own wsLink + createWSClient and
// through ours, in the same run against the same real server: results,
// errors and subscription callbacks must be deep-equal.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTRPCClient, createWSClient as refCreateWSClient, wsLink as refWsLink } from '@trpc/client';
import superjson from 'superjson';
import { createTRPCWebSocket, wsLink } from '../index.js';
import { calls, outcome, subscriptionLog } from './compare.js';
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

  test('a query in flight on a socket the server drops', async () => {
    const out = {};
    for (const name of ['reference', 'trpcws']) {
      await server.reset();
      const impl = implementations[name];
      const client = impl.create({ url: server.url, WebSocket: WebSocketImpl });
      const c = { client, trpc: createTRPCClient({ links: [impl.link({ client })] }) };
      const slow = outcome(c.trpc.slow.query({ ms: 5000, value: 1 }));
      await waitFor(async () => (await server.stats()).framesIn.length === 1, 5000, 'the query sent');
      await server.control('/control/drop');
      out[name] = { slow: await slow, after: await outcome(c.trpc.echo.query('after')) };
      await c.client.close();
    }
    assert.equal(out.trpcws.slow.ok, false);
    assert.deepEqual(out.trpcws, out.reference);
  });

  test('connection and when the WebSocket is constructed, in every state', async () => {
    const Base = WebSocketImpl ?? globalThis.WebSocket;
    const seen = {};
    for (const name of Object.keys(implementations)) {
      const constructed = [];
      const Counting = class extends Base {
        constructor(...args) {
          super(...args);
          constructed.push(this);
        }
      };
      const c = clients(server, { lazy: { enabled: true, closeMs: 30 }, WebSocket: Counting })[name];
      const log = (seen[name] = []);
      const view = () => {
        const conn = c.client.connection;
        return conn === null ? null : { state: conn.state, ws: conn.ws === constructed.at(-1) };
      };
      log.push(['created', view()]);
      const q = c.trpc.echo.query('x');
      log.push(['inside the call', view(), constructed.length]);
      await Promise.resolve();
      log.push(['a microtask later', constructed.length]);
      await waitFor(() => c.client.connection !== null, 3000, 'a connection');
      // (connecting or already open: polled, so the timing decides)
      log.push(['first non-null', c.client.connection.ws === constructed.at(-1), constructed.length]);
      await q;
      log.push(['answered', view()]);
      await waitFor(() => c.client.connectionState.get().state === 'idle', 3000, 'lazy close');
      await waitFor(() => c.client.connection === null, 3000, `${name}: connection null after the lazy close`);
      log.push(['after the lazy close', view()]);
      const q2 = c.trpc.echo.query('y');
      log.push(['second call', view(), constructed.length]);
      await q2;
      log.push(['second answer', view(), constructed.length]);
      const closing = c.client.close();
      log.push(['close() called', view()]);
      await closing;
      await waitFor(() => c.client.connection === null, 3000, `${name}: connection null after close()`);
      log.push(['after close()', view()]);
    }
    assert.deepEqual(seen.trpcws, seen.reference);
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
