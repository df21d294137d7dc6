// createWebSocket: the client takes the WebSocket a function makes, sync
// or as a Promise, connecting or already open (no open event follows: as
// Cloudflare Workers' fetch Upgrade + accept() gives it), against the real
// server. Headers reach the server's handshake through the `ws` package.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { createTRPCClient } from '@trpc/client';
import { WebSocket as WsWebSocket } from 'ws';
import { createTRPCWebSocket, wsLink } from '../index.js';
import { startServer, waitFor } from './helpers.js';

describe('createWebSocket', () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(() => server?.stop());

  // Resolves with a WebSocket that has opened already, as accept() gives one.
  const openSocket = async (url, header) => {
    const ws = new WsWebSocket(url, { headers: { 'x-trpcws-factory': header } });
    await once(ws, 'open');
    assert.equal(ws.readyState, 1);
    return ws;
  };

  test('a Promise of an already-open socket: queries, a subscription, and a reconnect through the factory', async () => {
    const made = [];
    const events = [];
    const client = createTRPCWebSocket({
      url: server.url,
      createWebSocket: (url) => {
        made.push(url);
        return openSocket(url, `call ${made.length}`);
      },
      retryDelayMs: () => 0,
      onEvent: (e) => events.push(e.type),
    });
    const trpc = createTRPCClient({ links: [wsLink({ client })] });
    try {
      assert.equal(await trpc.header.query({ name: 'x-trpcws-factory' }), 'call 1');
      const got = [];
      await new Promise((resolve, reject) => {
        trpc.counter.subscribe({ count: 3, intervalMs: 1 }, { onData: (v) => got.push(v), onError: reject, onComplete: resolve });
      });
      assert.deepEqual(got, [0, 1, 2]);
      assert.equal(client.connectionState.get().state, 'pending');
      await server.control('/control/drop');
      await waitFor(() => made.length === 2, 5000, 'the factory called for the reconnect');
      assert.equal(await trpc.header.query({ name: 'x-trpcws-factory' }), 'call 2');
      assert.deepEqual(made, [server.url, server.url]);
    } finally {
      await client.close();
    }
  });

  test('a socket returned at once (connecting), and a factory that fails once: the attempt fails and is retried', async () => {
    let calls = 0;
    const client = createTRPCWebSocket({
      url: server.url,
      createWebSocket: (url) => {
        calls++;
        if (calls === 1) throw new Error('no socket this time');
        if (calls === 2) return Promise.reject(new Error('nor this time'));
        return new WsWebSocket(url);
      },
      retryDelayMs: () => 0,
    });
    const trpc = createTRPCClient({ links: [wsLink({ client })] });
    try {
      assert.equal(await trpc.echo.query('third time'), 'third time');
      assert.equal(calls, 3);
    } finally {
      await client.close();
    }
  });

  test('a value that is not a WebSocket fails the attempt with a TypeError', async () => {
    const errors = [];
    const client = createTRPCWebSocket({
      url: server.url,
      lazy: { enabled: true },
      createWebSocket: () => 42,
      retry: { maxAttempts: 1 },
    });
    client.connectionState.subscribe({ next: (s) => s.error && errors.push(s.error) });
    const trpc = createTRPCClient({ links: [wsLink({ client })] });
    await assert.rejects(trpc.echo.query('x'));
    assert.ok(errors.some((e) => /createWebSocket must return a WebSocket/.test(`${e.message} ${e.cause?.message}`)), errors.map((e) => `${e.message} / ${e.cause?.message}`).join('\n'));
    await client.close();
  });

  test('bad options are TypeErrors naming the option', () => {
    assert.throws(() => createTRPCWebSocket({ url: server.url, createWebSocket: 'ws' }), {
      name: 'TypeError',
      message: /option `createWebSocket` must be a function/,
    });
    assert.throws(() => createTRPCWebSocket({ url: server.url, createWebSocket: () => null, WebSocket: WsWebSocket }), {
      name: 'TypeError',
      message: /`WebSocket` or `createWebSocket`, not both/,
    });
  });
});
