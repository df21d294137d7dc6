// refreshAuth (issue 23) against the real server: the server's token
// rotates (/control/set?token=), a call fails with UNAUTHORIZED or the
// server closes with 4401, and the client refreshes once, moves to a socket
// with fresh connectionParams and retries there.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTRPCClient, TRPCClientError } from '@trpc/client';
import superjson from 'superjson';
import { createTRPCWebSocket, TRPCWebSocketAuthRefreshError, wsLink } from '../index.js';
import { startServer, waitFor, WebSocketImpl, wsMode } from './helpers.js';

/** An app's credentials: connectionParams sends the token, refreshAuth fetches the next one. */
function credentials(next, fail) {
  const c = { token: 'good', reasons: [] };
  c.connectionParams = () => ({ token: c.token });
  c.refreshAuth = async (reason) => {
    c.reasons.push(reason);
    if (fail) throw fail;
    c.token = next;
  };
  return c;
}

function connect(url, creds, opts = {}) {
  const client = createTRPCWebSocket({
    url,
    WebSocket: WebSocketImpl,
    connectionParams: creds.connectionParams,
    refreshAuth: creds.refreshAuth,
    retryDelayMs: () => 10,
    ...opts,
  });
  return { client, trpc: createTRPCClient({ links: [wsLink({ client })] }) };
}

const isUnauthorized = (err) => err instanceof TRPCClientError && err.data?.code === 'UNAUTHORIZED';

describe(`refreshAuth (${wsMode})`, () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(() => server.stop());

  test('UNAUTHORIZED: one refresh for concurrent failures, queries retried, the subscription moved with no gap or duplicate', async () => {
    await server.reset();
    const creds = credentials('t2');
    const { client, trpc } = connect(server.url, creds);
    const ids = [];
    let started = 0;
    const sub = trpc.events.subscribe(
      { intervalMs: 5 },
      { onStarted: () => started++, onData: (e) => ids.push(Number(e.id)), onError: (err) => ids.push(err) },
    );
    await waitFor(() => ids.length >= 3, 5000, 'events');
    assert.deepEqual(await trpc.secret.query(), { token: 'good' });
    await server.control('/control/set?token=t2'); // the token expires
    const answers = await Promise.all([1, 2, 3, 4, 5].map(() => trpc.secret.query()));
    assert.deepEqual(answers, Array(5).fill({ token: 't2' }));
    assert.equal(creds.reasons.length, 1, 'one refresh');
    assert.ok(isUnauthorized(creds.reasons[0].error), `reason ${creds.reasons[0].error}`);
    assert.equal(creds.reasons[0].closeCode, undefined);
    const n = ids.length;
    await waitFor(() => ids.length >= n + 5, 5000, 'events after the move');
    sub.unsubscribe();
    assert.deepEqual(
      ids,
      ids.map((_, i) => i + 1),
      'tracked ids consecutive from 1',
    );
    assert.equal(started, 1);
    const stats = await server.stats();
    assert.equal(stats.totalConnections, 2);
    assert.deepEqual(
      stats.connectionLog.map((c) => c.connectionParams?.token),
      ['good', 't2'],
    );
    await client.close();
  });

  test('a retried call refused again goes to its caller, with no second refresh', async () => {
    await server.reset();
    const creds = credentials('still-wrong');
    const { client, trpc } = connect(server.url, creds);
    await server.control('/control/set?token=t2');
    await assert.rejects(trpc.secret.query(), isUnauthorized);
    assert.equal(creds.reasons.length, 1);
    await client.close();
  });

  test('close 4401: refreshed before reconnecting, the subscription resumes', async () => {
    await server.reset();
    const creds = credentials('t3');
    const { client, trpc } = connect(server.url, creds);
    const ids = [];
    const sub = trpc.events.subscribe({ intervalMs: 5 }, { onData: (e) => ids.push(Number(e.id)) });
    await waitFor(() => ids.length >= 3, 5000, 'events');
    await server.control('/control/set?token=t3');
    await server.control('/control/close?code=4401');
    await waitFor(() => creds.reasons.length === 1, 5000, 'the refresh');
    assert.equal(creds.reasons[0].closeCode, 4401);
    const n = ids.length;
    await waitFor(() => ids.length >= n + 5, 5000, 'events after the reconnect');
    sub.unsubscribe();
    assert.deepEqual(
      ids,
      ids.map((_, i) => i + 1),
    );
    assert.deepEqual(await trpc.secret.query(), { token: 't3' });
    await client.close();
  });

  test('a refresh that fails: the calls get TRPCWebSocketAuthRefreshError with the cause and the reason', async () => {
    await server.reset();
    const down = new Error('auth server down');
    const creds = credentials('t2', down);
    const { client, trpc } = connect(server.url, creds);
    await server.control('/control/set?token=t2');
    const err = await trpc.secret.query().catch((e) => e);
    assert.ok(err instanceof TRPCClientError, String(err));
    assert.ok(err.cause instanceof TRPCWebSocketAuthRefreshError, `cause ${err.cause}`);
    assert.equal(err.cause.code, 'AUTH_REFRESH_FAILED');
    assert.equal(err.cause.cause, down);
    assert.match(err.cause.message, /auth refresh failed: auth server down/);
    assert.ok(isUnauthorized(err.cause.reason.error));
    await client.close();
  });

  test('close 4401 with a refresh that keeps failing: gives up after retry.maxAttempts, no dial without fresh credentials', async () => {
    await server.reset();
    const creds = credentials('t2', new Error('auth server down'));
    const { client, trpc } = connect(server.url, creds, { retry: { maxAttempts: 3 } });
    assert.deepEqual(await trpc.secret.query(), { token: 'good' });
    await server.control('/control/close?code=4401');
    await waitFor(() => client.connectionState.get().state === 'idle', 10000, 'giving up');
    assert.equal(creds.reasons.length, 3);
    assert.equal((await server.stats()).totalConnections, 1);
    await client.close();
  });

  test('mutations: retried only with refreshAuthRetryMutations', async () => {
    for (const retry of [false, true]) {
      await server.reset();
      const creds = credentials('t2');
      const { client, trpc } = connect(server.url, creds, { refreshAuthRetryMutations: retry });
      await server.control('/control/set?token=t2');
      if (retry) await trpc.secretAdd.mutate();
      else await assert.rejects(trpc.secretAdd.mutate(), isUnauthorized);
      await waitFor(() => creds.reasons.length === 1, 5000, 'the refresh');
      assert.equal((await server.stats()).secretMutations, retry ? 1 : 0);
      await client.close();
    }
  });

  test('options are checked: TypeError naming the option', () => {
    const url = 'ws://127.0.0.1:9';
    assert.throws(() => createTRPCWebSocket({ url, refreshAuth: 'yes' }), (e) => e instanceof TypeError && /refreshAuth/.test(e.message));
    assert.throws(
      () => createTRPCWebSocket({ url, refreshAuthCloseCodes: [4401, 99] }),
      (e) => e instanceof TypeError && /refreshAuthCloseCodes/.test(e.message),
    );
    assert.throws(
      () => createTRPCWebSocket({ url, refreshAuthCloseCodes: [4401, 4402, 4403, 4404, 4405] }),
      (e) => e instanceof TypeError && /refreshAuthCloseCodes/.test(e.message),
    );
    assert.throws(
      () => createTRPCWebSocket({ url, refreshAuthRetryMutations: 1 }),
      (e) => e instanceof TypeError && /refreshAuthRetryMutations/.test(e.message),
    );
  });
});

describe(`refreshAuth through superjson (${wsMode})`, () => {
  let server;
  before(async () => {
    server = await startServer(['--transformer', 'superjson']);
  });
  after(() => server.stop());

  test('an UNAUTHORIZED error in superjson\'s {json, meta} starts the refresh; the query sent again answers', async () => {
    await server.reset();
    const creds = credentials('t2');
    const client = createTRPCWebSocket({
      url: server.url,
      WebSocket: WebSocketImpl,
      connectionParams: creds.connectionParams,
      refreshAuth: creds.refreshAuth,
      retryDelayMs: () => 10,
    });
    const trpc = createTRPCClient({ links: [wsLink({ client, transformer: superjson })] });
    assert.deepEqual(await trpc.secret.query(), { token: 'good' });
    await server.control('/control/set?token=t2');
    assert.deepEqual(await trpc.secret.query(), { token: 't2' });
    assert.equal(creds.reasons.length, 1, 'one refresh');
    assert.equal(creds.reasons[0].error?.data?.code, 'UNAUTHORIZED', `reason ${creds.reasons[0].error}`);
    await client.close();
  });
});
