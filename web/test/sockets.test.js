// What a client keeps of its sockets over many reconnect cycles: a
// WebSocket that is gone is not kept, whatever events its host fires.
// Node's WebSocket (undici) fires no close event for one that fails before
// it opens (connection refused, dropped during the handshake, closed while
// connecting), so "until its close event" must not be the only way out.
// And retries with no delay still give the event loop its turns.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { createTRPCClient } from '@trpc/client';
import { createTRPCWebSocket, wsLink } from '../index.js';
import { sleep, startServer, waitFor, WebSocketImpl, wsMode } from './helpers.js';

v8.setFlagsFromString('--expose-gc');
const gc = globalThis.gc ?? vm.runInNewContext('gc');

/** The WebSocket class under test, counting its instances through WeakRefs. */
function countedWebSocket() {
  const Base = WebSocketImpl ?? globalThis.WebSocket;
  const refs = [];
  class Counted extends Base {
    constructor(...args) {
      super(...args);
      refs.push(new WeakRef(this));
    }
  }
  return {
    Counted,
    constructed: () => refs.length,
    /** How many of them are still reachable after a full collection. */
    async live() {
      for (let i = 0; i < 3; i++) {
        await sleep(10); // WeakRefs hold their targets until the job that made them ends
        gc();
      }
      return refs.filter((r) => r.deref() !== undefined).length;
    },
  };
}

describe(`sockets kept across reconnects (${wsMode})`, () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(() => server.stop());

  test('WebSockets that failed before opening are not kept: what stays does not grow with the attempts', async () => {
    const ws = countedWebSocket();
    let target = 'ws://127.0.0.1:9'; // nothing listens: every attempt fails before it opens
    const client = createTRPCWebSocket({ url: () => target, WebSocket: ws.Counted, retryDelayMs: () => 1 });
    const trpc = createTRPCClient({ links: [wsLink({ client })] });
    const call = trpc.echo.query('after the failures');
    call.catch(() => {}); // awaited below; if an assertion fails first, close() fails it
    try {
      // A few hundred failed attempts, then a few hundred more: the second
      // batch must not add to what the first one left (recent error events
      // stay reachable as causes, a bounded number of them).
      await waitFor(() => ws.constructed() >= 400, 60000, '400 attempts');
      const first = await ws.live();
      const attempts1 = ws.constructed();
      await waitFor(() => ws.constructed() >= attempts1 + 600, 60000, '600 attempts more');
      const second = await ws.live();
      const attempts2 = ws.constructed();
      assert.ok(
        second - first <= 50,
        `${attempts2 - attempts1} more failed attempts left ${second - first} more WebSockets reachable (${first} after ${attempts1}, ${second} after ${attempts2})`,
      );
      // The client carries on: the server comes back, the waiting call is answered.
      target = server.url;
      assert.equal(await call, 'after the failures');
      assert.equal(client.connection?.state, 'open');
    } finally {
      target = server.url;
      await client.close();
    }
    await waitFor(() => client.connection === null, 5000, 'connection null after close()');
  });

  test('retryDelayMs 0 and a server that refuses at once: timers still run between attempts', async () => {
    let target = 'ws://127.0.0.1:9'; // refused on loopback: the WebSocket fails without waiting for I/O
    let attempts = 0;
    let timerRan = false;
    let starved = false;
    const client = createTRPCWebSocket({
      url: () => target,
      WebSocket: WebSocketImpl,
      retryDelayMs: () => 0,
      onEvent: (event) => {
        if (event.type !== 'attempt') return;
        attempts++;
        if (attempts === 1) setTimeout(() => (timerRan = true), 0);
        if (attempts === 100) {
          // 99 attempts later a 0 ms timer set before them has run, unless
          // the retries never gave the event loop a turn: then end the loop
          // (a server that answers needs I/O) so that the test can fail.
          starved = !timerRan;
          target = server.url;
        }
      },
    });
    const trpc = createTRPCClient({ links: [wsLink({ client })] });
    try {
      assert.equal(await trpc.echo.query('after 100 attempts'), 'after 100 attempts');
      assert.ok(attempts >= 100, `${attempts} attempts`);
      assert.equal(starved, false, 'a 0 ms timer did not run during 99 attempts with retryDelayMs 0');
    } finally {
      target = server.url;
      await client.close();
    }
  });
});
