// Early start: calls made while the WebAssembly module loads are answered
// from JavaScript, on the socket Go then takes over. Each scenario runs in
// a fresh process (fixtures/early.mjs) so that the module is not loaded yet
// when the client is made; the real test server; the reference client's
// results beside ours where the scenario applies to it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { createTRPCWebSocket } from '../index.js';
import { startServer, wsMode } from './helpers.js';

const fixture = fileURLToPath(new URL('./fixtures/early.mjs', import.meta.url));

describe(`early start, before the module runs (${wsMode})`, () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(() => server.stop());

  async function run(scenario) {
    await server.reset();
    const stdout = await new Promise((resolve, reject) => {
      execFile(process.execPath, [...process.execArgv, fixture, scenario, server.url], { timeout: 60000 }, (err, out, errOut) => {
        if (err) reject(new Error(`${scenario}: ${err.message}\n${errOut}`));
        else resolve(out);
      });
    });
    return JSON.parse(stdout.trim().split('\n').pop());
  }

  test('calls answered before Go runs are the reference client\'s; Go keeps the socket and the wire ids go on', async () => {
    const r = await run('answered');
    assert.equal(r.trpcws.goReadyBefore, false, 'the module was not running yet');
    assert.deepEqual(r.earlyStats, { state: 'pending', socketsOpened: 1, inFlight: 0, connected: true }, 'stats() before Go runs');
    assert.deepEqual(r.trpcws.results, r.reference.results);
    assert.deepEqual(r.trpcws.after, { ok: true, value: 'after' });
    assert.deepEqual(r.trpcws.states, r.reference.states);
    assert.deepEqual(r.trpcws.states, ['connecting', 'pending']);
    assert.equal(r.trpcws.connections, 1, 'one socket: Go took over the one early start opened');
    assert.equal(r.trpcws.socketsOpened, 1);
    assert.deepEqual(r.trpcws.wireIDs, r.reference.wireIDs);
  });

  test('a call in flight when Go takes over is answered through Go, sent once', async () => {
    const r = await run('inFlight');
    assert.deepEqual(r.slow, { ok: true, value: 'slow' });
    assert.deepEqual(r.after, { ok: true, value: 'after' });
    assert.deepEqual(r.states, ['connecting', 'pending']);
    assert.equal(r.connections, 1);
    assert.deepEqual(r.wireIDs, [1, 2]);
  });

  test('Go takes the early socket while it is still connecting', async () => {
    const r = await run('connecting');
    assert.deepEqual(r.q, { ok: true, value: 'q' });
    assert.deepEqual(r.states, ['connecting', 'pending']);
    assert.equal(r.connections, 1);
    assert.deepEqual(r.wireIDs, [1]);
  });

  test('the early socket lost with a call in flight: the reference\'s error, then Go reconnects', async () => {
    const r = await run('lost');
    assert.equal(r.trpcws.goReadyBefore, false);
    assert.equal(r.trpcws.slow.ok, false);
    assert.deepEqual(r.trpcws.slow, r.reference.slow);
    assert.deepEqual(r.trpcws.after, { ok: true, value: 'after' });
    assert.deepEqual(r.trpcws.states, r.reference.states);
  });

  test('lazy with connection params: params first, lazy close after Go took over', async () => {
    const r = await run('lazyParams');
    assert.equal(r.trpcws.before, 0, 'lazy: no socket before the first call');
    assert.deepEqual(r.trpcws.whoami, { ok: true, value: { token: 't' } });
    assert.deepEqual(r.trpcws.whoami, r.reference.whoami);
    assert.deepEqual(r.trpcws.params, r.reference.params);
    assert.deepEqual(r.trpcws.again, { ok: true, value: 'again' });
    assert.deepEqual(r.trpcws.states, r.reference.states);
    assert.equal(r.trpcws.connections, 1);
  });

  test('a subscription made before Go runs starts at once; Go takes it over live', async () => {
    const r = await run('subscription');
    assert.deepEqual(r.beforeGo, { started: 1, ids: r.beforeGo.ids, goReady: false });
    assert.equal(r.started, 1, 'no second onStarted at the hand-over');
    assert.deepEqual(r.ids, ['1', '2', '3', '4', '5', '6']);
    assert.equal(r.connections, 1);
    assert.equal(r.starts, 1, 'the server started it once');
  });

  test('a subscription whose socket is lost before Go runs resumes as the reference\'s', async () => {
    const r = await run('subscriptionLost');
    assert.equal(r.goReadyAtDrop, false);
    assert.deepEqual(r.trpcws.ids, ['1', '2', '3', '4', '5', '6', '7', '8']);
    assert.deepEqual(r.trpcws, r.reference);
  });

  test('context.resubscribe false survives the hand-off: its socket lost before Go runs, it ends with NOT_RESUBSCRIBED', async () => {
    const r = await run('subscriptionLostNoResubscribe');
    assert.equal(r.goReadyAtDrop, false);
    assert.deepEqual(r.ids, ['1', '2', '3', '4', '5', '6', '7', '8'], 'the other subscription resumed');
    assert.equal(r.once.complete, false);
    assert.deepEqual(
      { name: r.once.error.name, causeName: r.once.error.causeName, code: r.once.error.code },
      { name: 'TRPCClientError', causeName: 'TRPCWebSocketNotResubscribedError', code: 'NOT_RESUBSCRIBED' },
    );
    assert.equal(r.counterStarts, 1, 'not sent again');
  });

  test('unsubscribing before Go runs stops the subscription on the server', async () => {
    const r = await run('unsubscribe');
    assert.equal(r.goReady, false);
    assert.equal(r.stopFrames, 1);
    assert.deepEqual(r.q, { ok: true, value: 'q' });
  });

  test('an aborted call rejects as with the reference; its late answer is not taken for the next call', async () => {
    const r = await run('abort');
    assert.deepEqual(r.trpcws.slow, r.reference.slow);
    assert.deepEqual(r.trpcws.next, { ok: true, value: 'next' });
    assert.deepEqual(r.trpcws.next, r.reference.next);
  });

  test('the module compiles once the first calls are answered', async () => {
    const r = await run('compileWaits');
    assert.deepEqual(r.answered, { v: 'slow', goReady: false });
    assert.deepEqual(r.after, { ok: true, value: 'after' });
  });

  test('earlyStart: false waits for the module, as before', async () => {
    const r = await run('disabled');
    assert.deepEqual(r.before, { connections: 0, connection: null });
    assert.deepEqual(r.q, { ok: true, value: 'q' });
    assert.equal(r.connections, 1);
  });

  test('the module fails to load: answered calls stay answered, calls in flight fail, the socket closes', async () => {
    const r = await run('loadFails');
    assert.deepEqual(r.answered, { ok: true, value: 'answered' });
    assert.equal(r.slow.ok, false);
    assert.match(r.slow.message, /failed to load: loading the module failed \(no module here\)/);
  });

  test('earlyStart must be a boolean', () => {
    assert.throws(() => createTRPCWebSocket({ url: server.url, earlyStart: 'yes' }), {
      name: 'TypeError',
      message: /`earlyStart` must be a boolean/,
    });
  });
});
