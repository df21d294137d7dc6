// The real @trpc/client (createTRPCClient) with OUR wsLink and
// createTRPCWebSocket, against the real @trpc/server test server.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTRPCClient, loggerLink, retryLink, splitLink, TRPCClientError } from '@trpc/client';
import superjson from 'superjson';
import { createTRPCWebSocket, wsLink } from '../index.js';
import { protocolFrames, sleep, startServer, waitFor, WebSocketImpl, wsMode } from './helpers.js';

function connect(server, opts = {}, linkOpts = {}) {
  const client = createTRPCWebSocket({ url: server.url, WebSocket: WebSocketImpl, ...opts });
  const trpc = createTRPCClient({ links: [wsLink({ client, ...linkOpts })] });
  return { client, trpc };
}

/** Subscribes and records every callback in order. */
function record(trpc, path, input, extra = {}) {
  const log = [];
  const data = [];
  let resolveEnd;
  const ended = new Promise((r) => {
    resolveEnd = r;
  });
  const sub = trpc[path].subscribe(input, {
    onStarted: () => log.push('started'),
    onData: (d) => {
      log.push('data');
      data.push(d);
    },
    onError: (err) => {
      log.push('error');
      resolveEnd(err);
    },
    onStopped: () => log.push('stopped'),
    onComplete: () => {
      log.push('complete');
      resolveEnd();
    },
    onConnectionStateChange: (s) => log.push(`state:${s.state}`),
    ...extra,
  });
  return { sub, log, data, ended };
}

const ids = (data) => data.map((d) => Number(d.id));
function assertConsecutive(list, from = 1) {
  list.forEach((v, i) => assert.equal(v, from + i, `event ${i} is ${v}, want ${from + i} (all: ${list.join(',')})`));
}

describe(`wsLink with createTRPCClient (${wsMode})`, () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(() => server.stop());

  test('close() resolves after every call in flight has settled', async () => {
    const { client, trpc } = connect(server);
    await trpc.echo.query(0); // connected
    const settled = [];
    const calls = [
      trpc.slow.query({ ms: 50, value: 'a' }),
      trpc.echo.query('b'),
      trpc.add.mutate({ a: 1, b: 2 }),
      trpc.fail.query({ code: 'BAD_REQUEST' }),
    ].map((p, i) =>
      p.then(
        () => settled.push(i),
        () => settled.push(i),
      ),
    );
    await client.close();
    assert.deepEqual([...settled].sort(), [0, 1, 2, 3], 'every call settled before close() resolved');
    await Promise.all(calls);
    // The same with a lazy client and calls queued before the socket opened.
    const lazy = connect(server, { lazy: { enabled: true } });
    const early = [];
    const queued = [lazy.trpc.echo.query(1), lazy.trpc.slow.query({ ms: 30, value: 2 })].map((p, i) =>
      p.then(
        () => early.push(i),
        () => early.push(i),
      ),
    );
    await sleep(0);
    await lazy.client.close();
    assert.equal(early.length, 2, 'queued calls settled before close() resolved');
    await Promise.all(queued);
  });

  test('malformed server frames reach onError as TRPCWebSocketFrameError; the connection carries on', async () => {
    const errors = [];
    const { client, trpc } = connect(server, { onError: (e) => errors.push(e) });
    assert.equal(await trpc.echo.query('a'), 'a');
    const bad = ['not json', '{"id":1,"result":', '[1,2', '{"id":{"x":1},"result":{"type":"data"}}'];
    for (const frame of bad) await server.control(`/control/send?frame=${encodeURIComponent(frame)}`);
    await server.control(`/control/send?binary=1&frame=${encodeURIComponent('binary garbage')}`);
    await waitFor(() => errors.length === bad.length + 1, 5000, `onError for each frame (got ${errors.length})`);
    for (const [i, err] of errors.entries()) {
      assert.equal(err.name, 'TRPCWebSocketFrameError', String(err));
      assert.ok(err instanceof Error && err.message.length > 0);
      assert.equal(err.frame, i < bad.length ? bad[i] : 'binary garbage');
    }
    assert.equal(await trpc.echo.query('b'), 'b', 'still connected');
    assert.equal((await server.stats()).totalConnections >= 1, true);
    await client.close();
  });

  test('query, mutation, void mutation', async () => {
    const { client, trpc } = connect(server);
    assert.deepEqual(await trpc.echo.query({ a: 'ü😀', n: [1, null] }), { a: 'ü😀', n: [1, null] });
    assert.equal(await trpc.echo.query(), undefined);
    assert.equal(await trpc.add.mutate({ a: 2, b: 40 }), 42);
    assert.equal(await trpc.voidMutation.mutate(), undefined);
    await client.close();
  });

  test('server errors are TRPCClientError with shape and data', async () => {
    const { client, trpc } = connect(server);
    const err = await trpc.fail.query({ code: 'NOT_FOUND', message: 'nope' }).catch((e) => e);
    assert.ok(err instanceof TRPCClientError, 'real TRPCClientError');
    assert.equal(err.message, 'nope');
    assert.equal(err.data.code, 'NOT_FOUND');
    assert.equal(err.data.httpStatus, 404);
    assert.equal(err.shape.code, -32004);
    assert.equal(err.shape.message, 'nope');
    const crash = await trpc.crash.query().catch((e) => e);
    assert.equal(crash.data.code, 'INTERNAL_SERVER_ERROR');
    const bad = await trpc.add.mutate({ a: 'x' }).catch((e) => e);
    assert.equal(bad.data.code, 'BAD_REQUEST');
    await client.close();
  });

  test('server errors keep shape and data under another copy of @trpc/client', async () => {
    // testserver/ has its own copy on disk: an app bundling its own
    // @trpc/client rewraps our errors with that copy's TRPCClientError.from.
    const other = await import('../../testserver/node_modules/@trpc/client/dist/index.mjs');
    assert.notEqual(other.TRPCClientError, TRPCClientError, 'a distinct copy');
    const { client } = connect(server);
    const trpc = other.createTRPCClient({ links: [wsLink({ client })] });
    const err = await trpc.fail.query({ code: 'NOT_FOUND', message: 'nope' }).catch((e) => e);
    assert.ok(err instanceof other.TRPCClientError);
    assert.equal(err.message, 'nope');
    assert.equal(err.data?.code, 'NOT_FOUND');
    assert.equal(err.shape?.code, -32004);
    await client.close();
  });

  test('calls made in one tick leave as one batch frame', async () => {
    const { client, trpc } = connect(server);
    await trpc.echo.query('warm-up');
    await server.reset();
    const results = await Promise.all([trpc.echo.query('b1'), trpc.add.mutate({ a: 1, b: 1 }), trpc.echo.query('b3')]);
    assert.deepEqual(results, ['b1', 2, 'b3']);
    const frames = protocolFrames(await server.stats());
    assert.equal(frames.length, 1, `one frame, got ${JSON.stringify(frames)}`);
    const batch = JSON.parse(frames[0]);
    assert.ok(Array.isArray(batch) && batch.length === 3, frames[0]);
    assert.deepEqual(
      batch.map((m) => [m.method, m.params.path, m.params.input]),
      [
        ['query', 'echo', 'b1'],
        ['mutation', 'add', { a: 1, b: 1 }],
        ['query', 'echo', 'b3'],
      ],
    );
    await client.close();
  });

  test('works behind loggerLink (pipe), splitLink and retryLink', async () => {
    const client = createTRPCWebSocket({ url: server.url, WebSocket: WebSocketImpl });
    const logged = [];
    let attempts = 0;
    const trpc = createTRPCClient({
      links: [
        loggerLink({ enabled: () => true, logger: ({ direction, path }) => logged.push(`${direction} ${path}`) }),
        retryLink({ retry: ({ attempts: n }) => (attempts = n) < 2 }),
        splitLink({ condition: (op) => op.type === 'subscription', true: wsLink({ client }), false: wsLink({ client }) }),
      ],
    });
    assert.equal(await trpc.echo.query('logged'), 'logged');
    await assert.rejects(trpc.fail.query({ code: 'CONFLICT' }), (e) => e instanceof TRPCClientError && e.data.code === 'CONFLICT');
    assert.equal(attempts, 2, 'retryLink retried the failed call once');
    const r = record(trpc, 'counter', { count: 2, intervalMs: 1 });
    await r.ended;
    assert.deepEqual(r.data, [0, 1]);
    assert.deepEqual(logged.slice(0, 2), ['up echo', 'down echo']);
    await client.close();
  });

  test('subscription lifecycle: started, data, stopped, complete', async () => {
    const { client, trpc } = connect(server);
    const r = record(trpc, 'counter', { count: 3, intervalMs: 5 });
    await r.ended;
    assert.deepEqual(r.data, [0, 1, 2]);
    assert.deepEqual(
      r.log.filter((l) => !l.startsWith('state:')),
      ['started', 'data', 'data', 'data', 'stopped', 'complete'],
    );
    assert.equal(r.log[0], 'state:connecting', 'current state first');
    await client.close();
  });

  test('subscription error ends it without complete', async () => {
    const { client, trpc } = connect(server);
    const r = record(trpc, 'failingSub', { after: 2 });
    const err = await r.ended;
    assert.ok(err instanceof TRPCClientError);
    assert.equal(err.data.code, 'BAD_REQUEST');
    assert.equal(err.message, 'sub failed');
    assert.deepEqual(r.data, [0, 1]);
    await sleep(30);
    assert.ok(!r.log.includes('complete'), r.log.join());
    await client.close();
  });

  test('large payloads (Go finds the data, JavaScript parses it)', async () => {
    const { client, trpc } = connect(server);
    const big = { s: 'ü😀'.repeat(20000), list: Array.from({ length: 5000 }, (_, i) => i), nested: { deep: [{ a: null }] } };
    assert.deepEqual(await trpc.echo.query(big), big);
    const r = record(trpc, 'flood', { count: 200, size: 3000 });
    await r.ended;
    assert.equal(r.data.length, 200);
    r.data.forEach((v, i) => assert.deepEqual(v, { i, pad: 'x'.repeat(3000) }));
    assert.deepEqual(r.log.filter((l) => !l.startsWith('state:') && l !== 'data'), ['started', 'stopped', 'complete']);
    await client.close();
  });

  test('flood: every event, in order', async () => {
    const { client, trpc } = connect(server);
    const r = record(trpc, 'flood', { count: 3000 });
    await r.ended;
    assert.equal(r.data.length, 3000);
    r.data.forEach((v, i) => assert.equal(v, i));
    await client.close();
  });

  test('unsubscribe sends subscription.stop', async () => {
    const { client, trpc } = connect(server);
    await trpc.echo.query('x');
    await server.reset();
    const r = record(trpc, 'events', { intervalMs: 5 });
    await waitFor(() => r.data.length >= 3, 5000, 'events');
    r.sub.unsubscribe();
    await waitFor(async () => (await server.stats()).stopFrames === 1, 2000, 'stop frame');
    const st = await server.stats();
    assert.equal(st.subscriptionEnds.at(-1)?.reason ?? 'aborted', 'aborted');
    assert.equal(r.log.at(-1), 'complete');
    await client.close();
  });

  test('abort: queued call sends nothing, pending call ignores the late answer, subscription stops', async () => {
    const { client, trpc } = connect(server);
    await trpc.echo.query('x');
    await server.reset();
    // Queued: aborted in the same tick, before the write microtask.
    const ac1 = new AbortController();
    const p1 = trpc.echo.query('never-sent', { signal: ac1.signal });
    ac1.abort();
    await assert.rejects(p1, (e) => e instanceof TRPCClientError && /aborted/i.test(e.message));
    // Pending: sent, aborted before the answer.
    const ac2 = new AbortController();
    const t0 = Date.now();
    const p2 = trpc.slow.query({ ms: 300, value: 'late' }, { signal: ac2.signal });
    setTimeout(() => ac2.abort(), 30);
    await assert.rejects(p2, (e) => e instanceof TRPCClientError && /aborted/i.test(e.message));
    assert.ok(Date.now() - t0 < 250, 'rejected at once');
    // Subscription: completes and stops on the server.
    const ac3 = new AbortController();
    const r = record(trpc, 'events', { intervalMs: 5 }, { signal: ac3.signal });
    await waitFor(() => r.data.length >= 2, 5000, 'events');
    ac3.abort();
    await r.ended;
    assert.equal(r.log.at(-1), 'complete');
    await waitFor(async () => (await server.stats()).stopFrames >= 1, 2000, 'stop frame');
    await sleep(350); // the late answer of the slow query arrives and is ignored
    assert.equal(await trpc.echo.query('still-fine'), 'still-fine');
    const frames = protocolFrames(await server.stats()).join('\n');
    assert.ok(!frames.includes('never-sent'), 'the queued aborted call was sent');
    await client.close();
  });

  test('close(): completes subscriptions, waits for calls in flight, fails unsent ones, stays usable', async () => {
    await server.reset();
    const { client, trpc } = connect(server);
    const states = [];
    client.connectionState.subscribe({ next: (s) => states.push(s.state) });
    await trpc.echo.query('x');
    const r = record(trpc, 'events', { intervalMs: 5 });
    await waitFor(() => r.data.length >= 1, 5000, 'events');
    const slow = trpc.slow.query({ ms: 100, value: 'done' });
    await sleep(10);
    const closed = client.close();
    const unsent = trpc.echo.query('unsent');
    await closed;
    assert.equal(await slow, 'done', 'in-flight call finished before close resolved');
    await r.ended;
    assert.ok(r.log.includes('complete') && !r.log.includes('error'), r.log.join());
    assert.deepEqual(states.slice(0, 3), ['connecting', 'pending', 'idle'], states.join());
    // A call made while close() waits is held back and sent on a new socket.
    assert.equal(await unsent, 'unsent');
    const frames = (await server.stats()).frameLog;
    const unsentConn = frames.find((f) => f.dir === 'in' && f.data.includes('"unsent"'))?.conn;
    const firstConn = frames.find((f) => f.dir === 'in' && f.data.includes('"events"'))?.conn;
    assert.ok(unsentConn && unsentConn !== firstConn, 'sent on a new socket');
    await client.close();
    // Unsent when close() runs: fails with the reference's message, before
    // close() resolves. close() resolves a task later (as the reference's does
    // here, once the socket it dials has opened), so the handler goes on
    // first: added after `await close()` it would come too late, and Node
    // would report the rejection as unhandled.
    const lazy = connect(server, { lazy: { enabled: true } });
    let failedFirst = false;
    const failed = assert.rejects(lazy.trpc.echo.query('queued'), /Closed before connection was established/);
    failed.then(() => (failedFirst = true));
    await lazy.client.close();
    assert.ok(failedFirst, 'the unsent call had failed when close() resolved');
    await failed;
    assert.equal(await lazy.trpc.echo.query('again'), 'again', 'usable after close');
    await lazy.client.close();
  });

  test('lazy: idle → connecting → pending → idle', async () => {
    const { client, trpc } = connect(server, { lazy: { enabled: true, closeMs: 50 } });
    const states = [];
    client.connectionState.subscribe({ next: (s) => states.push(s.state) });
    assert.deepEqual(states, ['idle']);
    await sleep(30);
    assert.equal(client.connection, null, 'no socket before the first call');
    assert.equal(await trpc.echo.query('lazy'), 'lazy');
    await waitFor(() => states.at(-1) === 'idle', 2000, 'lazy close');
    assert.deepEqual(states, ['idle', 'connecting', 'pending', 'idle']);
    await client.close();
  });

  test('connectionParams: object and async function, sent first', async () => {
    await server.reset();
    const a = connect(server, { connectionParams: { token: 'abc', user: 'ü' } });
    assert.deepEqual(await a.trpc.whoami.query(), { token: 'abc', user: 'ü' });
    let calls = 0;
    const b = connect(server, {
      url: async () => `${server.url}/path?x=1`,
      connectionParams: async () => {
        calls++;
        await sleep(5);
        return { token: `t${calls}` };
      },
    });
    assert.deepEqual(await b.trpc.whoami.query(), { token: 't1' });
    const st = await server.stats();
    assert.ok(st.connectionLog.some((c) => c.url === '/path?x=1&connectionParams=1'), JSON.stringify(st.connectionLog));
    for (const conn of [...new Set(st.frameLog.filter((f) => f.dir === 'in').map((f) => f.conn))]) {
      const first = st.frameLog.find((f) => f.conn === conn && f.dir === 'in');
      assert.match(first.data, /^\{"method":"connectionParams","data":/);
    }
    // Re-evaluated on reconnect.
    await server.control('/control/drop');
    await waitFor(async () => {
      try {
        return (await b.trpc.whoami.query())?.token === 't2';
      } catch {
        return false;
      }
    }, 5000, 'reconnect with new params');
    await a.client.close();
    await b.client.close();
  });

  test('callbacks: onOpen, onClose, onError, retryDelayMs', async () => {
    const events = [];
    const attempts = [];
    const { client, trpc } = connect(server, {
      onOpen: () => events.push('open'),
      onClose: (cause) => events.push(`close:${cause?.code}`),
      onError: () => events.push('error'),
      retryDelayMs: (i) => {
        attempts.push(i);
        return 10;
      },
    });
    await trpc.echo.query('x');
    await server.control('/control/close?code=4000');
    await waitFor(() => events.filter((e) => e === 'open').length === 2, 5000, 'reopen');
    assert.deepEqual(events.slice(0, 3), ['open', 'close:4000', 'open']);
    assert.deepEqual(attempts, [0]);
    await client.close();
  });
});

describe(`socket loss and server reconnect (${wsMode})`, () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(() => server.stop());

  test('tracked subscription resumes after /control/drop: no lost, no duplicated ids', async () => {
    await server.reset();
    const { client, trpc } = connect(server, { retryDelayMs: () => 0 });
    const r = record(trpc, 'events', { intervalMs: 10 });
    await waitFor(() => r.data.length >= 5, 5000, 'first events');
    const inflight = trpc.slow.query({ ms: 500 }).catch((e) => e);
    await sleep(20);
    await server.control('/control/drop');
    const lost = await inflight;
    assert.ok(lost instanceof TRPCClientError, 'a call in flight on the lost socket fails');
    await waitFor(() => r.data.length >= 25, 5000, 'events after the drop');
    r.sub.unsubscribe();
    assertConsecutive(ids(r.data));
    const starts = (await server.stats()).subscriptionStarts.filter((s) => s.path === 'events');
    assert.equal(starts.length, 2);
    assert.equal(starts[0].lastEventId, null);
    const resumedFrom = Number(starts[1].lastEventId);
    assert.ok(resumedFrom >= 5, `resumed with lastEventId ${starts[1].lastEventId}`);
    assert.ok(r.log.filter((l) => l === 'started').length === 2, 'onStarted again after a lost socket');
    assert.ok(r.log.includes('state:connecting') && r.log.lastIndexOf('state:pending') > r.log.indexOf('state:connecting'));
    await client.close();
  });

  test('server reconnect: make-before-break, no gaps, no duplicates, one onStarted', async () => {
    await server.reset();
    const { client, trpc } = connect(server);
    const r = record(trpc, 'events', { intervalMs: 5 });
    await waitFor(() => r.data.length >= 5, 5000, 'first events');
    await server.control('/control/reconnect');
    await waitFor(() => r.data.length >= 40, 5000, 'events after the reconnect');
    r.sub.unsubscribe();
    assertConsecutive(ids(r.data));
    assert.equal(r.log.filter((l) => l === 'started').length, 1);
    assert.ok(!r.log.slice(1).includes('state:connecting'), `no connecting state: ${r.log.filter((l) => l.startsWith('state')).join()}`);
    const st = await server.stats();
    assert.equal(st.totalConnections, 2);
    await waitFor(async () => (await server.stats()).connections === 1, 3000, 'old socket closed');
    assert.equal(await trpc.echo.query('after'), 'after');
    await client.close();
  });

  test('large tracked events resume after a drop from the last id', async () => {
    await server.reset();
    const { client, trpc } = connect(server, { retryDelayMs: () => 0 });
    const r = record(trpc, 'onMessage', undefined);
    await waitFor(() => r.log.includes('started'), 5000, 'started');
    const text = (n) => `message ${n} ${'ü'.repeat(400)}`;
    for (let n = 1; n <= 3; n++) await trpc.postMessage.mutate({ text: text(n), user: 'u' });
    await waitFor(() => r.data.length === 3, 5000, 'three events');
    await server.control('/control/drop');
    await waitFor(() => r.log.filter((l) => l === 'started').length === 2, 5000, 'resubscribed');
    for (let n = 4; n <= 5; n++) await trpc.postMessage.mutate({ text: text(n), user: 'u' });
    await waitFor(() => r.data.length === 5, 5000, 'five events');
    r.sub.unsubscribe();
    assert.deepEqual(r.data.map((d) => d.id), ['1', '2', '3', '4', '5']);
    assert.deepEqual(r.data.map((d) => d.data.text), [1, 2, 3, 4, 5].map(text));
    const starts = (await server.stats()).subscriptionStarts.filter((s) => s.path === 'onMessage');
    assert.deepEqual(starts.map((s) => s.lastEventId), [null, '3']);
    await client.close();
  });

  test('keepAlive: no PONG → socket dropped and reconnected', async () => {
    await server.reset();
    const closes = [];
    const { client, trpc } = connect(server, {
      keepAlive: { enabled: true, intervalMs: 100, pongTimeoutMs: 100 },
      retryDelayMs: () => 0,
      onClose: (e) => closes.push(e?.code),
    });
    assert.equal(await trpc.echo.query('ka'), 'ka');
    await sleep(250);
    assert.ok((await server.stats()).pings >= 1, 'pings sent');
    assert.equal(closes.length, 0, 'PONGs keep it alive');
    await server.control('/control/set?noPong=1');
    await waitFor(() => closes.length >= 1, 3000, 'pong timeout close');
    await server.control('/control/set?noPong=0');
    await waitFor(async () => (await server.stats()).totalConnections >= 2, 3000, 'reconnect');
    assert.equal(await trpc.echo.query('back'), 'back');
    await client.close();
  });
});

describe(`superjson transformer (${wsMode})`, () => {
  let server;
  before(async () => {
    server = await startServer(['--transformer', 'superjson']);
  });
  after(() => server.stop());

  test('Date, Map and errors through superjson', async () => {
    const { client, trpc } = connect(server, {}, { transformer: superjson });
    const when = new Date('2024-05-06T07:08:09.010Z');
    const input = { when, map: new Map([['k', new Set([1, 2])]]), big: 10n };
    const out = await trpc.echo.query(input);
    assert.ok(out.when instanceof Date);
    assert.equal(out.when.getTime(), when.getTime());
    assert.ok(out.map instanceof Map);
    assert.deepEqual([...out.map.get('k')], [1, 2]);
    assert.equal(out.big, 10n);
    const err = await trpc.fail.query({ code: 'FORBIDDEN', message: 'no' }).catch((e) => e);
    assert.ok(err instanceof TRPCClientError);
    assert.equal(err.data.code, 'FORBIDDEN');
    const r = record(trpc, 'counter', { count: 2 });
    await r.ended;
    assert.deepEqual(r.data, [0, 1]);
    await client.close();
  });
});
