// Option checking and host seams, with fake WebSocket classes (no server):
// TypeErrors, the missing-WebSocket error, a throwing constructor, sockets
// already open at creation, binary frames, messages right before a close,
// throwing user callbacks, the Go panic test hook.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTRPCClient, TRPCClientError } from '@trpc/client';
import { createTRPCWebSocket, createWSClient, exponentialBackoff, wsLink } from '../index.js';
import { panicForTest } from '../lib/testing.js';
import { sleep, waitFor } from './helpers.js';

/**
 * A WebSocket that answers queries with their input and subscriptions with
 * `started`, then whatever the test pushes. Opens on the next tick, or at
 * once (readyState 1, no open event) with `openAtCreation`.
 */
class FakeWS extends EventTarget {
  static instances = [];
  static openAtCreation = false;
  static binary = false;
  constructor(url) {
    super();
    this.url = url;
    this.sent = [];
    this.closedWith = null;
    this.binaryType = 'blob';
    FakeWS.instances.push(this);
    if (FakeWS.openAtCreation) {
      this.readyState = 1;
    } else {
      this.readyState = 0;
      setTimeout(() => {
        this.readyState = 1;
        this.dispatchEvent(new Event('open'));
      });
    }
  }
  send(data) {
    this.sent.push(data);
    if (data === 'PING') return this.push('PONG');
    const msg = JSON.parse(data);
    for (const m of Array.isArray(msg) ? msg : [msg]) {
      if (m.method === 'query') this.push({ id: m.id, result: { type: 'data', data: m.params.input } });
      if (m.method === 'subscription') this.push({ id: m.id, result: { type: 'started' } });
    }
  }
  /** Delivers a server frame (an object is JSON-encoded) on a later tick. */
  push(frame) {
    const text = typeof frame === 'string' ? frame : JSON.stringify(frame);
    setTimeout(() => this.deliver(text));
  }
  deliver(text) {
    const e = new Event('message');
    e.data = FakeWS.binary ? new TextEncoder().encode(text).buffer : text;
    this.dispatchEvent(e);
  }
  close(code) {
    if (this.closedWith !== null) return;
    if (code !== undefined && code !== 1000 && (code < 3000 || code > 4999)) {
      throw new DOMException(`invalid close code ${code}`, 'InvalidAccessError');
    }
    this.closedWith = code ?? 1000;
    this.readyState = 3;
    setTimeout(() => this.serverClose(code ?? 1000));
  }
  serverClose(code) {
    this.readyState = 3;
    const e = new Event('close');
    e.code = code;
    this.dispatchEvent(e);
  }
}

function fakeClient(opts = {}) {
  const client = createTRPCWebSocket({ url: 'ws://fake/trpc', WebSocket: FakeWS, ...opts });
  const trpc = createTRPCClient({ links: [wsLink({ client })] });
  return { client, trpc };
}

describe('option checks', () => {
  const cases = [
    [{ url: 42 }, /`url`/],
    [{ url: 'ws://x', lazy: 'yes' }, /`lazy`/],
    [{ url: 'ws://x', lazy: { enabled: 'yes' } }, /`lazy\.enabled`/],
    [{ url: 'ws://x', lazy: { enabled: true, closeMs: -1 } }, /`lazy\.closeMs`/],
    [{ url: 'ws://x', retryDelayMs: 5 }, /`retryDelayMs`/],
    [{ url: 'ws://x', keepAlive: { intervalMs: 'x' } }, /`keepAlive\.intervalMs`/],
    [{ url: 'ws://x', keepAlive: { enabled: true, pongTimeoutMs: 0 } }, /`keepAlive\.pongTimeoutMs`/],
    [{ url: 'ws://x', keepAlive: true }, /`keepAlive`/],
    [{ url: 'ws://x', WebSocket: 3 }, /`WebSocket`/],
    [{ url: 'ws://x', onOpen: 1 }, /`onOpen`/],
    [{ url: 'ws://x', onClose: 'x' }, /`onClose`/],
    [{ url: 'ws://x', onError: {} }, /`onError`/],
    [{ url: 'ws://x', connectionParams: 'token' }, /`connectionParams`/],
    [{ url: 'ws://x', experimental_encoder: {} }, /`experimental_encoder`/],
    [{ url: 'ws://x', experimental_encoder: { encode: JSON.stringify } }, /`experimental_encoder`/],
    [{ url: 'ws://x', WebSocket: () => FakeWS }, /`WebSocket` must be a WebSocket constructor, got a function/],
    [{ url: 'ws://x', WebSocket: { method() {} }.method }, /`WebSocket`/],
  ];
  const show = (opts) => JSON.stringify(opts, (_, v) => (typeof v === 'function' ? `<${v.name || 'arrow'} function>` : v));
  for (const [opts, re] of cases) {
    test(`${show(opts)} → TypeError`, () => {
      assert.throws(() => createTRPCWebSocket({ WebSocket: FakeWS, ...opts }), (err) => err instanceof TypeError && re.test(err.message));
    });
  }
  test('no options / not an object → TypeError', () => {
    assert.throws(() => createTRPCWebSocket(), TypeError);
    assert.throws(() => createTRPCWebSocket('ws://x'), TypeError);
  });
  test('no WebSocket anywhere → the reference error, synchronously', () => {
    const saved = Object.getOwnPropertyDescriptor(globalThis, 'WebSocket');
    delete globalThis.WebSocket;
    try {
      assert.throws(() => createTRPCWebSocket({ url: 'ws://x' }), /No WebSocket implementation found/);
    } finally {
      if (saved) Object.defineProperty(globalThis, 'WebSocket', saved);
    }
  });
  test('createWSClient is the same function; exponentialBackoff matches the reference', () => {
    assert.equal(createWSClient, createTRPCWebSocket);
    assert.deepEqual([0, 1, 2, 3, 4, 5, 10].map(exponentialBackoff), [0, 2000, 4000, 8000, 16000, 30000, 30000]);
  });
});

describe('host seams (fake WebSocket)', () => {
  test('the global WebSocket is looked up when connecting, not at creation', async () => {
    const saved = Object.getOwnPropertyDescriptor(globalThis, 'WebSocket');
    globalThis.WebSocket = class Unused {};
    try {
      const client = createTRPCWebSocket({ url: 'ws://fake/late', lazy: { enabled: true } });
      const trpc = createTRPCClient({ links: [wsLink({ client })] });
      globalThis.WebSocket = FakeWS;
      assert.equal(await trpc.echo.query('late'), 'late');
      assert.equal(FakeWS.instances.at(-1).url, 'ws://fake/late');
      await client.close();
    } finally {
      if (saved) Object.defineProperty(globalThis, 'WebSocket', saved);
      else delete globalThis.WebSocket;
    }
  });

  test('url function runs on every connect; binaryType is set; binary frames are decoded', async () => {
    let n = 0;
    FakeWS.binary = true;
    try {
      const { client, trpc } = fakeClient({ url: () => `ws://fake/${++n}`, connectionParams: () => ({ n: String(n) }) });
      assert.deepEqual(await trpc.echo.query({ s: 'ü' }), { s: 'ü' });
      const ws = FakeWS.instances.at(-1);
      assert.equal(ws.url, 'ws://fake/1?connectionParams=1');
      assert.equal(ws.binaryType, 'arraybuffer');
      assert.equal(ws.sent[0], '{"method":"connectionParams","data":{"n":"1"}}');
      ws.serverClose(4001);
      await waitFor(() => FakeWS.instances.at(-1) !== ws, 2000, 'reconnect');
      assert.equal(FakeWS.instances.at(-1).url, 'ws://fake/2?connectionParams=1');
      await client.close();
    } finally {
      FakeWS.binary = false;
    }
  });

  test('a socket already open at creation is used at once', async () => {
    FakeWS.openAtCreation = true;
    try {
      const { client, trpc } = fakeClient();
      const states = [];
      client.connectionState.subscribe({ next: (s) => states.push(s.state) });
      assert.equal(await trpc.echo.query('open'), 'open');
      assert.deepEqual(states, ['connecting', 'pending']);
      await client.close();
    } finally {
      FakeWS.openAtCreation = false;
    }
  });

  test('a throwing constructor → connecting with "Initialization error", then retries', async () => {
    let calls = 0;
    const attempts = [];
    class Throwing extends FakeWS {
      constructor(url) {
        if (++calls <= 2) throw new SyntaxError('bad url');
        super(url);
      }
    }
    const client = createTRPCWebSocket({
      url: 'ws://fake/x',
      WebSocket: Throwing,
      retryDelayMs: (i) => {
        attempts.push(i);
        return 1;
      },
    });
    const errors = [];
    client.connectionState.subscribe({ next: (s) => s.error && errors.push(s.error) });
    const trpc = createTRPCClient({ links: [wsLink({ client })] });
    assert.equal(await trpc.echo.query('after retries'), 'after retries');
    assert.ok(errors.length >= 1);
    assert.ok(errors[0] instanceof TRPCClientError);
    assert.equal(errors[0].message, 'Initialization error');
    assert.equal(errors[0].cause?.name, 'TRPCWebSocketClosedError');
    assert.ok(errors[0].cause?.cause instanceof SyntaxError);
    assert.deepEqual(attempts, [0, 1]);
    await client.close();
  });

  test('every message received before a close is delivered, then the close', async () => {
    const { client, trpc } = fakeClient({ retryDelayMs: () => 10000 });
    const log = [];
    await new Promise((resolve) => {
      trpc.events.subscribe(undefined, {
        onStarted: () => resolve(),
        onData: (d) => log.push(`data:${d}`),
        onConnectionStateChange: (s) => log.push(`state:${s.state}`),
      });
    });
    const ws = FakeWS.instances.at(-1);
    const id = JSON.parse(ws.sent.at(-1)).id;
    for (let i = 0; i < 3; i++) ws.deliver(JSON.stringify({ id, result: { type: 'data', data: i } }));
    ws.serverClose(1006);
    await waitFor(() => log.includes('state:connecting') && log.includes('data:2'), 2000, 'data then state');
    assert.deepEqual(log.slice(-4), ['data:0', 'data:1', 'data:2', 'state:connecting']);
    await client.close();
  });

  test('throwing user callbacks do not break the client', async () => {
    const thrown = [];
    const onUncaught = (err) => thrown.push(err.message);
    const listeners = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    process.on('uncaughtException', onUncaught);
    try {
      const { client, trpc } = fakeClient({
        onOpen: () => {
          throw new Error('onOpen boom');
        },
        retryDelayMs: () => {
          throw new Error('retry boom');
        },
      });
      let first = true; // the current value arrives inside subscribe(): a throw there propagates
      client.connectionState.subscribe({
        next: () => {
          if (first) {
            first = false;
            return;
          }
          throw new Error('state boom');
        },
      });
      assert.equal(await trpc.echo.query('a'), 'a');
      FakeWS.instances.at(-1).serverClose(1006);
      await waitFor(() => thrown.includes('retry boom'), 2000, 'retryDelayMs called');
      assert.equal(await trpc.echo.query('b'), 'b', 'reconnected with the default backoff (0 for attempt 0)');
      await sleep(10);
      assert.ok(thrown.includes('onOpen boom') && thrown.includes('state boom'), thrown.join());
      await client.close();
      await sleep(10); // the idle state's throw is rethrown on a timer
    } finally {
      process.off('uncaughtException', onUncaught);
      for (const l of listeners) process.on('uncaughtException', l);
    }
  });

  test('close codes sent are 1000 or 3000-4999 (the fake throws on others)', async () => {
    const { client, trpc } = fakeClient({ keepAlive: { enabled: true, intervalMs: 20, pongTimeoutMs: 20 } });
    assert.equal(await trpc.echo.query('x'), 'x');
    const ws = FakeWS.instances.at(-1);
    ws.send = function (data) {
      this.sent.push(data); // swallow PINGs: no PONG
    };
    await waitFor(() => ws.closedWith !== null, 2000, 'pong timeout close');
    assert.equal(ws.closedWith, 3000);
    await client.close();
    assert.equal(FakeWS.instances.at(-1).closedWith, 1000);
  });
});

describe('Go panics', () => {
  test('a panic inside an exported call becomes an Error; the instance keeps working', async () => {
    for (const [kind, re] of [
      [0, /nil pointer dereference/],
      [1, /trpcws_panic test/],
      [2, /index out of range/],
    ]) {
      await assert.rejects(panicForTest(kind), (err) => err instanceof Error && re.test(err.message));
      const { client, trpc } = fakeClient();
      assert.equal(await trpc.echo.query(`alive ${kind}`), `alive ${kind}`);
      await client.close();
    }
  });
});
