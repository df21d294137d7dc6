// Connection policies beyond the reference (issue 10), JavaScript side,
// against the real server (and two misbehaving local servers): timeouts,
// the queue bound, retry limits, reconnect(), stats(), onEvent, backoff().
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createTRPCClient, createWSClient, TRPCClientError, wsLink as refWsLink } from '@trpc/client';
import { WebSocketServer } from 'ws';
import { backoff, createTRPCWebSocket, init, wsLink } from '../index.js';
import { sleep, startServer, waitFor, WebSocketImpl, wsMode } from './helpers.js';

function connect(url, opts = {}) {
  const client = createTRPCWebSocket({ url, WebSocket: WebSocketImpl, ...opts });
  return { client, trpc: createTRPCClient({ links: [wsLink({ client })] }) };
}

const causeName = (err) => (err instanceof TRPCClientError ? err.cause?.name : `not a TRPCClientError: ${err}`);

describe(`connection policies (${wsMode})`, () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(() => server.stop());

  test('requestTimeoutMs and context.timeoutMs: TimeoutError; the socket and other calls carry on', async () => {
    const { client, trpc } = connect(server.url, { requestTimeoutMs: 60 });
    // The limit counts from the call, waiting for the socket included: connect first.
    assert.equal(await trpc.echo.query('warm', { context: { timeoutMs: Infinity } }), 'warm');
    const slow = trpc.slow.query({ ms: 400, value: 'late' });
    const fast = trpc.echo.query('fast');
    await assert.rejects(slow, (err) => causeName(err) === 'TimeoutError' && /timed out after 60 ms/.test(err.message));
    assert.equal(await fast, 'fast');
    // A per-call value overrides it, both ways.
    assert.equal(await trpc.slow.query({ ms: 120, value: 'kept' }, { context: { timeoutMs: Infinity } }), 'kept');
    await assert.rejects(trpc.echo.query('x', { context: { timeoutMs: 'soon' } }), /context.timeoutMs/);
    const plain = connect(server.url);
    await assert.rejects(plain.trpc.slow.query({ ms: 400 }, { context: { timeoutMs: 30 } }), (err) => causeName(err) === 'TimeoutError');
    assert.equal(await plain.trpc.echo.query('after'), 'after');
    assert.equal((await server.stats()).connections >= 2, true);
    await Promise.all([client.close(), plain.client.close()]);
  });

  test('maxQueued: one call more than the bound is refused at once with QueueFullError', async () => {
    let release;
    const url = () => new Promise((r) => (release = () => r(server.url)));
    const { client, trpc } = connect(url, { lazy: { enabled: true }, maxQueued: 2 });
    const a = trpc.echo.query('a');
    const b = trpc.echo.query('b');
    await assert.rejects(trpc.echo.query('c'), (err) => causeName(err) === 'QueueFullError');
    await waitFor(() => release, 2000, 'the url asked for');
    release();
    assert.deepEqual(await Promise.all([a, b]), ['a', 'b']);
    // Connected: calls are never refused.
    assert.deepEqual(await Promise.all(['d', 'e', 'f', 'g'].map((v) => trpc.echo.query(v))), ['d', 'e', 'f', 'g']);
    await client.close();
  });

  test('retry.maxAttempts: gives up (idle with the cause), queued calls fail, the next call starts over', async () => {
    const dead = 'ws://127.0.0.1:9'; // nothing listens: every attempt fails
    const events = [];
    const states = [];
    const { client, trpc } = connect(dead, { retry: { maxAttempts: 3 }, retryDelayMs: () => 5, onEvent: (e) => events.push(e) });
    client.connectionState.subscribe({ next: (s) => states.push(s) });
    const call = trpc.echo.query('x');
    await assert.rejects(call, (err) => err instanceof TRPCClientError && /gave up reconnecting after 3 failed attempts/.test(err.message));
    await waitFor(() => states.at(-1).state === 'idle', 3000, 'idle');
    assert.match(states.at(-1).error?.message ?? '', /gave up/);
    // The message names the last attempt's real cause, never a placeholder of Go's.
    assert.match(states.at(-1).error?.message ?? '', /after 3 failed attempts: Initialization error/);
    assert.doesNotMatch(states.at(-1).error?.message ?? '', /JavaScript cause/);
    assert.equal(events.filter((e) => e.type === 'attempt').length, 3);
    assert.equal(events.filter((e) => e.type === 'giveUp').length, 1);
    assert.equal(client.stats().state, 'idle');
    // The next call starts again from attempt 0: three more attempts.
    await assert.rejects(trpc.echo.query('y'), /gave up reconnecting after 3 failed attempts/);
    const attempts = events.filter((e) => e.type === 'attempt').map((e) => e.attempt);
    assert.equal(attempts.length, 6);
    assert.deepEqual(attempts.slice(3), attempts.slice(0, 3));
    await client.close();
  });

  test('retry.shouldRetry: sees {attempt, code, error}; false gives up', async () => {
    const infos = [];
    const { client, trpc } = connect(server.url, {
      retryDelayMs: () => 0,
      retry: { shouldRetry: (info) => (infos.push(info), info.attempt < 2) },
    });
    assert.equal(await trpc.echo.query('up'), 'up');
    await server.control('/control/close?code=4001&reason=bye');
    await waitFor(() => infos.length >= 1, 3000, 'shouldRetry asked');
    assert.equal(infos[0].attempt, 0);
    assert.equal(infos[0].code, 4001);
    assert.equal(infos[0].reason, 'bye');
    assert.equal(await trpc.echo.query('again'), 'again');
    await client.close();
    // false: the client gives up at once.
    const never = connect('ws://127.0.0.1:9', { retry: { shouldRetry: () => false } });
    await assert.rejects(never.trpc.echo.query('x'), /gave up reconnecting after 1 failed attempts/);
    assert.equal(never.client.connectionState.get().state, 'idle');
    await never.client.close();
  });

  test('connectTimeoutMs: a server that never answers the handshake costs one attempt each time', async () => {
    const sockets = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise((r) => silent.listen(0, '127.0.0.1', r));
    const events = [];
    const { client, trpc } = connect(`ws://127.0.0.1:${silent.address().port}`, {
      connectTimeoutMs: 80,
      retry: { maxAttempts: 2 },
      retryDelayMs: () => 0,
      onEvent: (e) => events.push(e),
    });
    await assert.rejects(trpc.echo.query('x'), /gave up/);
    assert.equal(events.filter((e) => e.type === 'timeout').length, 2);
    assert.match(String(events.find((e) => e.type === 'timeout').error?.message), /connect timed out after 80 ms/);
    await client.close();
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  });

  test('retry.minUptimeMs: a server that closes at once is retried with growing attempts', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => wss.once('listening', r));
    wss.on('connection', (ws) => ws.close(1000));
    const attempts = { with: [], without: [] };
    const clients = [];
    for (const [name, minUptimeMs] of [['with', 5000], ['without', 0]]) {
      const { client, trpc } = connect(`ws://127.0.0.1:${wss.address().port}`, {
        retry: { minUptimeMs },
        retryDelayMs: (a) => (attempts[name].push(a), 1),
      });
      clients.push(client);
      trpc.echo.query('x').catch(() => {});
    }
    await waitFor(() => attempts.with.length >= 4 && attempts.without.length >= 4, 5000, 'attempts');
    assert.ok(attempts.with.at(-1) >= 3, `attempts grow with minUptimeMs: ${attempts.with}`);
    assert.ok(attempts.without.every((a) => a <= 1), `attempts restart without: ${attempts.without}`);
    await Promise.all(clients.map((c) => c.close()));
    await new Promise((r) => wss.close(r));
  });

  test('network awareness: offline spends no attempt; online attempts at once despite a 30 s backoff', async () => {
    // The browser's window and document, as far as the client uses them.
    const win = new EventTarget();
    const doc = new EventTarget();
    doc.visibilityState = 'visible';
    globalThis.window = win;
    globalThis.document = doc;
    let client;
    try {
      let target = 'ws://127.0.0.1:9'; // down at first
      const events = [];
      const c = connect(() => target, { retryDelayMs: (a) => (a === 0 ? 0 : 30000), onEvent: (e) => events.push(e) });
      client = c.client;
      const call = c.trpc.echo.query('back');
      await waitFor(() => events.some((e) => e.type === 'attempt' && e.delayMs === 30000), 5000, 'a 30 s backoff');
      win.dispatchEvent(new Event('offline'));
      const spent = events.filter((e) => e.type === 'attempt').length;
      await sleep(300);
      assert.equal(events.filter((e) => e.type === 'attempt').length, spent, 'no attempt while offline');
      target = server.url;
      win.dispatchEvent(new Event('online'));
      assert.equal(await Promise.race([call, sleep(5000).then(() => 'still waiting')]), 'back');
    } finally {
      delete globalThis.window;
      delete globalThis.document;
      await client?.close();
    }
  });

  // Issue 20: onEvent carries a 'state' event for each value connectionState
  // takes (not its first), at the place it changes, in the core's order. A
  // live subscription keeps the socket wanted across the drop (without one a
  // lazy client, as the reference, does not reconnect).
  for (const lazy of [false, true]) {
    test(`onEvent 'state' events through connect, drop, reconnect and close (${lazy ? 'lazy' : 'not lazy'}), in order, as connectionState and the reference's states`, async () => {
      await init(); // no early start: every event comes from Go
      const lazyOpts = { enabled: lazy, closeMs: 60000 };
      const refStates = [];
      const ref = createWSClient({ url: server.url, WebSocket: WebSocketImpl, lazy: lazyOpts });
      ref.connectionState.subscribe({ next: (st) => refStates.push(st.state) });
      const refTrpc = createTRPCClient({ links: [refWsLink({ client: ref })] });
      const events = [];
      const states = [];
      const { client, trpc } = connect(server.url, { lazy: lazyOpts, earlyStart: false, onEvent: (e) => events.push(e) });
      client.connectionState.subscribe({ next: (st) => states.push(st) });
      const seen = () =>
        events.map((e) => (e.type === 'state' ? `state ${e.state}${e.error ? ' (error)' : ''}` : e.type === 'attempt' ? `attempt ${e.attempt}` : e.type));
      const subs = [];
      for (const t of [trpc, refTrpc]) {
        assert.equal(await t.echo.query('first'), 'first');
        let started;
        const ready = new Promise((r) => (started = r));
        subs.push(t.events.subscribe({ intervalMs: 50 }, { onStarted: started }));
        await ready;
      }
      await server.control('/control/drop');
      await waitFor(() => events.filter((e) => e.type === 'open').length === 2 && events.at(-1).type === 'state', 5000, 'the reconnect').catch((err) =>
        assert.fail(`${err.message}: ${seen()}`),
      );
      await waitFor(() => refStates.at(-1) === 'pending' && refStates.includes('connecting', 2), 5000, "the reference's reconnect");
      assert.equal(await trpc.echo.query('again'), 'again');
      for (const sub of subs) sub.unsubscribe();
      await Promise.all([client.close(), ref.close()]);
      await waitFor(() => events.filter((e) => e.type === 'close').length === 2, 5000, 'the last socket closed').catch((err) =>
        assert.fail(`${err.message}: ${seen()}`),
      );
      const cycle = ['attempt 0', 'open', 'state pending', 'close', 'state connecting (error)', 'attempt 0', 'open', 'state pending', 'state idle', 'close'];
      assert.deepEqual(seen(), lazy ? ['state connecting', ...cycle] : cycle);
      // Each state event is one value connectionState took, with its error.
      const stateEvents = events.filter((e) => e.type === 'state');
      assert.deepEqual(
        stateEvents.map((e) => [e.state, e.error ?? null]),
        states.slice(1).map((st) => [st.state, st.error]),
      );
      assert.ok(stateEvents[lazy ? 2 : 1].error instanceof TRPCClientError, "the drop's state carries its error");
      assert.deepEqual(stateEvents.map((e) => e.state), refStates.slice(1), `the reference's connectionState went ${refStates.join(' → ')}`);
      assert.ok(events.every((e, i) => i === 0 || e.at >= events[i - 1].at));
    });
  }

  test('network awareness: pagehide closes the socket with 1000 at once; pageshow from the cache resumes after the last event', async () => {
    const win = new EventTarget();
    const doc = new EventTarget();
    doc.visibilityState = 'visible';
    globalThis.window = win;
    globalThis.document = doc;
    let client;
    try {
      await server.reset();
      const states = [];
      const c = connect(server.url, {});
      client = c.client;
      client.connectionState.subscribe({ next: (s) => states.push(s.state) });
      const ids = [];
      let started = 0;
      const sub = c.trpc.events.subscribe({ intervalMs: 5 }, { onStarted: () => started++, onData: (d) => ids.push(Number(d.id)) });
      await waitFor(() => ids.length >= 5, 5000, 'events');
      await init(); // the listeners are Go's: wait until it has taken over from the early start
      const hide = new Event('pagehide');
      hide.persisted = true;
      win.dispatchEvent(hide);
      // Closed in the event itself: the page is frozen right after it.
      assert.equal(client.stats().state, 'idle', 'state right after pagehide');
      const upTo = ids.length;
      await waitFor(async () => (await server.stats()).connectionLog[0]?.closeCode === 1000, 5000, 'the server to see a clean close');
      const waiting = c.trpc.echo.query('while hidden');
      waiting.catch(() => {}); // awaited below; an earlier failure is the one to report
      await sleep(300);
      assert.equal(ids.length, upTo, 'no event while suspended');
      assert.equal((await server.stats()).totalConnections, 1, 'no socket while suspended');
      const show = new Event('pageshow');
      show.persisted = true;
      win.dispatchEvent(show);
      assert.equal(await waiting, 'while hidden');
      await waitFor(() => ids.length >= upTo + 10, 5000, 'events after pageshow');
      sub.unsubscribe();
      ids.forEach((id, i) => assert.equal(id, ids[0] + i, `event ${i}: ${ids.join(',')}`));
      const st = await server.stats();
      assert.equal(st.totalConnections, 2);
      assert.equal(st.subscriptionStarts.at(-1)?.lastEventId, String(ids[upTo - 1]), 'resubscribed after the last event delivered');
      assert.equal(started, 2, 'onStarted again, as after a reconnect');
    } finally {
      delete globalThis.window;
      delete globalThis.document;
      await client?.close();
    }
  });

  test('reconnect(): make-before-break, no gap, no duplicate, one onStarted; stats() and onEvent follow', async () => {
    await server.reset();
    const events = [];
    const { client, trpc } = connect(server.url, { onEvent: (e) => events.push(e) });
    const ids = [];
    let started = 0;
    const sub = trpc.events.subscribe({ intervalMs: 5 }, { onStarted: () => started++, onData: (d) => ids.push(Number(d.id)) });
    await waitFor(() => ids.length >= 5, 5000, 'events');
    client.reconnect();
    await waitFor(async () => (await server.stats()).totalConnections === 2 && ids.length >= 40, 5000, 'a second socket and more events');
    sub.unsubscribe();
    ids.forEach((id, i) => assert.equal(id, ids[0] + i, `event ${i}`));
    assert.equal(started, 1);
    const st = client.stats();
    assert.equal(st.state, 'pending');
    assert.equal(st.socketsOpened, 2);
    assert.ok(st.framesIn > 40 && st.bytesIn > 0 && st.framesOut >= 2 && st.bytesOut > 0, JSON.stringify(st));
    assert.ok(events.filter((e) => e.type === 'open').length === 2, JSON.stringify(events.map((e) => e.type)));
    await client.close();
  });
});

test('backoff(): 0 first, then within the bound; jitter none is the bound', () => {
  const full = backoff({ baseMs: 100, maxMs: 1000 });
  assert.equal(full(0), 0);
  for (let a = 1; a < 10; a++) {
    const v = full(a);
    assert.ok(v >= 0 && v <= Math.min(1000, 100 * 2 ** a), `attempt ${a}: ${v}`);
  }
  const none = backoff({ baseMs: 100, maxMs: 1000, jitter: 'none' });
  assert.deepEqual([0, 1, 2, 3, 4, 5].map(none), [0, 200, 400, 800, 1000, 1000]);
  assert.throws(() => backoff({ jitter: 'half' }), TypeError);
});

test('policy options are validated like the others', () => {
  for (const [opts, re] of [
    [{ retry: { maxAttempts: 0 } }, /`retry.maxAttempts`/],
    [{ retry: { maxAttempts: 1.5 } }, /`retry.maxAttempts`/],
    [{ retry: { shouldRetry: true } }, /`retry.shouldRetry`/],
    [{ retry: 'often' }, /`retry`/],
    [{ connectTimeoutMs: 0 }, /`connectTimeoutMs`/],
    [{ requestTimeoutMs: '1s' }, /`requestTimeoutMs`/],
    [{ maxQueued: -1 }, /`maxQueued`/],
    [{ maxConnectionAgeMs: '5m' }, /`maxConnectionAgeMs`/],
    [{ maxConnectionAgeMs: 0 }, /`maxConnectionAgeMs`/],
    [{ maxConnectionAgeMs: Infinity }, /`maxConnectionAgeMs`/],
    [{ onEvent: 1 }, /`onEvent`/],
    [{ debug: 'yes' }, /`debug`/],
    [{ networkAware: 1 }, /`networkAware`/],
  ]) {
    assert.throws(() => createTRPCWebSocket({ url: 'ws://x', WebSocket: WebSocketImpl ?? globalThis.WebSocket, lazy: { enabled: true }, ...opts }), (err) => err instanceof TypeError && re.test(err.message), JSON.stringify(opts));
  }
});
