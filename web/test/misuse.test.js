// Throwing user callbacks (issue 20): url, connectionParams, retryDelayMs,
// retry.shouldRetry, onOpen, onClose, onError, onEvent, a connectionState
// observer, experimental_encoder's encode and decode, a transformer's
// serialize and deserialize. Each throws (or rejects) against the real
// server, beside @trpc/client's client where it has the callback
// (fixtures/misuse.mjs, in a fresh process, so that the errors thrown to the
// host are caught there); then a health query on the same client must
// answer, nothing of trpcws's own may be reported (a Go panic would be), and
// a new client must still answer (the module is still running).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { startServer, wsMode } from './helpers.js';

const fixture = fileURLToPath(new URL('./fixtures/misuse.mjs', import.meta.url));
const HEALTH = { ok: true, value: 'health' };

describe(`throwing callbacks (${wsMode})`, () => {
  let server;
  let r;
  before(async () => {
    server = await startServer();
    const stdout = await new Promise((resolve, reject) => {
      execFile(process.execPath, [...process.execArgv.filter((a) => !a.startsWith('--test')), fixture, server.url], { timeout: 120000 }, (err, out, errOut) => {
        if (err) reject(new Error(`misuse.mjs: ${err.message}\n${errOut}`));
        else resolve(out);
      });
    });
    r = JSON.parse(stdout.trim().split('\n').pop());
  });
  after(() => server.stop());

  /** Ours: the scenario ran, the health query answered, close() resolved. */
  const healthy = (name, { closed = true } = {}) => {
    const ours = r[name].trpcws;
    assert.equal(ours.failed, undefined, `${name}: ${ours.failed}`);
    assert.deepEqual(ours.health, HEALTH, `${name}: the health query`);
    assert.equal(ours.closed, closed, `${name}: close() resolved`);
    return ours;
  };

  test('the module survives every scenario: nothing of trpcws reported, a new client answers', () => {
    assert.deepEqual(r.internal, []);
    assert.deepEqual(r.fresh, { ok: true, value: 'fresh' });
  });

  for (const name of ['url throws', 'url rejects']) {
    test(`${name}: the attempt fails ("Initialization error", caused by it), the next one connects: as the reference`, () => {
      const ours = healthy(name);
      assert.deepEqual(ours.first, { ok: true, value: 'first' });
      assert.deepEqual(ours.stateErrors, ['TRPCClientError: Initialization error / TRPCWebSocketClosedError: Initialization error / Error: url boom']);
      assert.deepEqual(ours.thrown, []);
      assert.deepEqual(ours, r[name].reference);
    });
  }

  for (const name of ['connectionParams throws', 'connectionParams rejects']) {
    test(`${name}: the attempt fails as the reference's, the next one sends the params`, () => {
      const ours = healthy(name);
      const ref = r[name].reference;
      assert.deepEqual(ours.first, { ok: true, value: { token: 't' } });
      assert.deepEqual(ours.first, ref.first);
      assert.deepEqual(ours.stateErrors, ['TRPCClientError: Initialization error / TRPCWebSocketClosedError: Initialization error / Error: connectionParams boom']);
      // The reference then also reports the socket it closes ("WebSocket closed"): one state more.
      assert.deepEqual(ref.stateErrors[0], ours.stateErrors[0]);
      assert.deepEqual([ours.thrown, ours.health], [ref.thrown, ref.health]);
    });
  }

  test('retryDelayMs throws: the default delay is used and the error is thrown to the host; the reference counts a failed attempt', () => {
    const ours = healthy('retryDelayMs throws once');
    const ref = r['retryDelayMs throws once'].reference;
    assert.deepEqual(ours.afterDrop, { ok: true, value: 'after drop' });
    assert.deepEqual(ours.thrown, ['Error: retryDelayMs boom']);
    assert.deepEqual(ref.afterDrop, ours.afterDrop);
    assert.ok(ref.stateErrors.includes('TRPCClientError: Initialization error / TRPCWebSocketClosedError: Initialization error / Error: retryDelayMs boom'), ref.stateErrors.join('\n'));
    // Always throwing: still reconnects (the reference asks again at once, attempt after attempt, until its stack overflows).
    const always = healthy('retryDelayMs always throws');
    assert.deepEqual(always.afterDrop, { ok: true, value: 'after drop' });
    assert.deepEqual(always.thrown, ['Error: retryDelayMs boom']);
  });

  test('retry.shouldRetry throws: retried as if it said yes, the error thrown to the host', () => {
    const ours = healthy('retry.shouldRetry throws');
    assert.deepEqual(ours.afterDrop, { ok: true, value: 'after drop' });
    assert.deepEqual(ours.thrown, ['Error: shouldRetry boom']);
  });

  test('onOpen throws: thrown to the host, the socket serves; the reference closes each socket and answers nothing', () => {
    const ours = healthy('onOpen throws');
    assert.deepEqual([ours.first, ours.afterDrop], [{ ok: true, value: 'first' }, { ok: true, value: 'after drop' }]);
    assert.deepEqual(ours.thrown, ['Error: onOpen boom']);
    assert.deepEqual(r['onOpen throws'].reference.health, { pending: true }, "the reference's health query");
  });

  for (const name of ['onClose throws', 'a connectionState observer throws']) {
    test(`${name}: thrown to the host, the client reconnects: as the reference`, () => {
      const ours = healthy(name);
      assert.deepEqual(ours.afterDrop, { ok: true, value: 'after drop' });
      assert.equal(ours.thrown.length, 1);
      assert.deepEqual(ours, r[name].reference);
    });
  }

  test('onError throws: thrown to the host, the next attempt connects', () => {
    const ours = healthy('onError throws');
    assert.deepEqual(ours.first, { ok: true, value: 'first' });
    assert.deepEqual(ours.thrown, ['Error: onError boom']);
    const ref = r['onError throws'].reference;
    if (ref) assert.deepEqual([ref.first, ref.health, ref.thrown], [ours.first, ours.health, ours.thrown]);
  });

  test('onEvent throws: thrown to the host, every event still comes, the client reconnects', () => {
    const ours = healthy('onEvent throws');
    assert.deepEqual(ours.afterDrop, { ok: true, value: 'after drop' });
    assert.deepEqual(ours.thrown, ['Error: onEvent boom']);
  });

  test("experimental_encoder.encode throws: the calls of that frame fail with it, as the reference's", () => {
    const ours = healthy('encoder.encode throws');
    assert.deepEqual(ours.first, { ok: false, error: 'TRPCClientError: encode boom / Error: encode boom' });
    assert.deepEqual(ours, r['encoder.encode throws'].reference);
  });

  test('experimental_encoder.decode throws: the frame is dropped (onError gets a TRPCWebSocketFrameError), the connection serves', () => {
    // As the reference, the call answered in that frame waits (and close() with it): give it a signal or requestTimeoutMs.
    const ours = healthy('encoder.decode throws', { closed: false });
    const ref = r['encoder.decode throws'].reference;
    assert.deepEqual(ours.first, { pending: true });
    assert.deepEqual(ours.onError, ['TRPCWebSocketFrameError: trpcws: experimental_encoder could not decode a server frame']);
    assert.deepEqual(ours.thrown, []);
    assert.deepEqual([ref.first, ref.health, ref.closed], [ours.first, ours.health, ours.closed]);
    assert.deepEqual(ref.thrown, ['Error: decode boom'], 'the reference throws it to the host');
  });

  test("a transformer's serialize throws: the call fails with it, as the reference's", () => {
    const ours = healthy('transformer serialize throws');
    assert.deepEqual(ours.first, { ok: false, error: 'TRPCClientError: serialize boom / Error: serialize boom' });
    assert.deepEqual(ours, r['transformer serialize throws'].reference);
  });

  test("a transformer's deserialize throws: the call fails with a TRPCClientError saying so", () => {
    const ours = healthy('transformer deserialize throws');
    assert.deepEqual(ours.first, {
      ok: false,
      error: 'TRPCClientError: Unable to transform response from server / Error: Unable to transform response from server',
    });
    assert.deepEqual(ours.thrown, []);
    // The reference's call fails as aborted, and the transform error is thrown to the host.
    const ref = r['transformer deserialize throws'].reference;
    assert.deepEqual([ref.first.ok, ref.health, ref.thrown], [false, HEALTH, ['Error: Unable to transform response from server']]);
  });
});
