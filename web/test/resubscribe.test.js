// Resubscribe control against the real server: a subscription made with
// { context: { resubscribe: false } } ends with NOT_RESUBSCRIBED where it
// would be sent again (a lost socket, the server's reconnect request,
// reconnect(), maxConnectionAgeMs), and a subscription the server ended
// completes on the client and is never sent again.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTRPCClient, TRPCClientError } from '@trpc/client';
import { createTRPCWebSocket, TRPCWebSocketNotResubscribedError, wsLink } from '../index.js';
import { startServer, waitFor, WebSocketImpl, wsMode } from './helpers.js';

function connect(url, opts = {}) {
  const client = createTRPCWebSocket({ url, WebSocket: WebSocketImpl, retryDelayMs: () => 0, ...opts });
  return { client, trpc: createTRPCClient({ links: [wsLink({ client })] }) };
}

/** Subscribes and records what the callbacks saw. */
function record(trpc, path, input, context) {
  const r = { data: [], started: 0, error: null, complete: 0, stopped: 0 };
  r.sub = trpc[path].subscribe(input, {
    context,
    onStarted: () => r.started++,
    onData: (d) => r.data.push(d),
    onError: (err) => (r.error = err),
    onStopped: () => r.stopped++,
    onComplete: () => r.complete++,
  });
  return r;
}

/** Drops the client's socket and waits until the client is connected again. */
async function dropAndReconnect(server) {
  await server.control('/control/drop');
  await waitFor(async () => {
    const st = await server.stats();
    return st.totalConnections === 2 && st.connections === 1;
  }, 5000, 'the new socket');
}

const starts = (st, path) => st.subscriptionStarts.filter((s) => s.path === path).length;

function assertNotResubscribed(r) {
  const err = r.error;
  assert.ok(err instanceof TRPCClientError, `onError got ${err}`);
  assert.ok(err.cause instanceof TRPCWebSocketNotResubscribedError, `cause ${err.cause}`);
  assert.equal(err.cause.name, 'TRPCWebSocketNotResubscribedError');
  assert.equal(err.cause.code, 'NOT_RESUBSCRIBED');
  assert.match(err.message, /resubscribe off/);
  assert.equal(r.complete, 0, 'ended with the error, not completed');
}

describe(`context.resubscribe (${wsMode})`, () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(() => server.stop());

  // Each way the client would send a subscription again.
  const moves = {
    'a lost socket': (srv) => srv.control('/control/drop'),
    "the server's reconnect request": (srv) => srv.control('/control/reconnect'),
    'reconnect()': (srv, client) => client.reconnect(),
  };
  for (const [how, move] of Object.entries(moves)) {
    test(`resubscribe: false ends with NOT_RESUBSCRIBED after ${how}; the others resume`, async () => {
      await server.reset();
      const { client, trpc } = connect(server.url);
      const once = record(trpc, 'counter', { count: 1_000_000, intervalMs: 5 }, { resubscribe: false });
      const again = record(trpc, 'events', { intervalMs: 5 }, { resubscribe: true });
      await waitFor(() => once.data.length >= 2 && again.data.length >= 2, 5000, 'first events');
      await move(server, client);
      await waitFor(() => once.error, 5000, 'the NOT_RESUBSCRIBED error');
      assertNotResubscribed(once);
      const n = again.data.length;
      await waitFor(() => again.data.length >= n + 3, 5000, 'events after the move');
      again.data.forEach((d, i) => assert.equal(d.id, String(i + 1), 'no gap or duplicate'));
      const st = await server.stats();
      assert.equal(starts(st, 'counter'), 1, 'never sent again');
      assert.equal(starts(st, 'events'), 2);
      assert.equal(again.error, null);
      assert.equal(await trpc.echo.query('after'), 'after');
      await client.close();
    });
  }

  test('resubscribe: false under maxConnectionAgeMs ends at the first move', async () => {
    await server.reset();
    const { client, trpc } = connect(server.url, { maxConnectionAgeMs: 150 });
    const once = record(trpc, 'counter', { count: 1_000_000, intervalMs: 5 }, { resubscribe: false });
    await waitFor(() => once.error, 5000, 'the NOT_RESUBSCRIBED error');
    assertNotResubscribed(once);
    assert.equal(starts(await server.stats(), 'counter'), 1);
    await client.close();
  });

  test('context.resubscribe of the wrong type fails the call with a TypeError', async () => {
    const { client, trpc } = connect(server.url);
    const r = record(trpc, 'events', { intervalMs: 5 }, { resubscribe: 'no' });
    await waitFor(() => r.error, 5000, 'the error');
    assert.ok(r.error instanceof TRPCClientError);
    assert.ok(r.error.cause instanceof TypeError);
    assert.match(r.error.message, /context\.resubscribe must be a boolean/);
    await client.close();
  });

  test('a subscription the server ended completes and is never sent again, with resubscribe either way', async () => {
    await server.reset();
    const { client, trpc } = connect(server.url);
    const plain = record(trpc, 'events', { intervalMs: 5, max: 3 });
    const once = record(trpc, 'counter', { count: 3, intervalMs: 5 }, { resubscribe: false });
    await waitFor(() => plain.complete && once.complete, 5000, 'both completed');
    for (const r of [plain, once]) {
      assert.equal(r.data.length, 3);
      assert.deepEqual([r.started, r.stopped, r.complete, r.error], [1, 1, 1, null]);
    }
    await dropAndReconnect(server);
    assert.equal(await trpc.echo.query('after'), 'after');
    const st = await server.stats();
    assert.equal(starts(st, 'events') + starts(st, 'counter'), 2, 'neither sent again');
    await client.close();
  });

  test("a `stopped` the server sends for a live subscription completes it; it is not resubscribed (trpc#6962)", async () => {
    await server.reset();
    const { client, trpc } = connect(server.url);
    const r = record(trpc, 'events', { intervalMs: 5 });
    await waitFor(() => r.data.length >= 2, 5000, 'first events');
    // The id the client sent the subscription under, from what the server received.
    const sent = (await server.stats()).framesIn
      .filter((f) => f !== 'PING' && f !== 'PONG')
      .flatMap((f) => [JSON.parse(f)].flat())
      .find((m) => m.method === 'subscription' && m.params.path === 'events');
    await server.control(`/control/send?frame=${encodeURIComponent(JSON.stringify({ id: sent.id, jsonrpc: '2.0', result: { type: 'stopped' } }))}`);
    await waitFor(() => r.complete, 5000, 'completed');
    assert.deepEqual([r.stopped, r.complete, r.error], [1, 1, null]);
    await dropAndReconnect(server);
    assert.equal(await trpc.echo.query('after'), 'after');
    assert.equal(starts(await server.stats(), 'events'), 1, 'not sent again');
    await client.close();
  });
});
