// experimental_encoder (issue 13): the same calls through @trpc/client's own
// createWSClient + wsLink and through ours, each given the same encoder, in
// the same run against the real server configured with that encoder
// (testserver --encoder): @trpc/server's stock jsonEncoder (text frames) and
// msgpack (@msgpack/msgpack, binary frames).
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { decode as msgpackDecode, encode as msgpackEncode } from '@msgpack/msgpack';
import { createTRPCClient, createWSClient as refCreateWSClient, wsLink as refWsLink } from '@trpc/client';
import { jsonEncoder } from '@trpc/server/adapters/ws';
import { createTRPCWebSocket, wsLink } from '../index.js';
import { calls, outcome, subscriptionLog } from './compare.js';
import { protocolFrames, startServer, waitFor, WebSocketImpl, wsMode } from './helpers.js';

const implementations = {
  reference: { create: refCreateWSClient, link: refWsLink },
  trpcws: { create: createTRPCWebSocket, link: wsLink },
};

/** Wraps an encoder to count what it was given and what it returned. */
function counting(encoder) {
  const seen = { encoded: [], decoded: 0, binaryOut: 0, textOut: 0 };
  return {
    seen,
    encoder: {
      encode(msg) {
        seen.encoded.push(structuredClone(msg)); // the reference mutates its messages later (lastEventId)
        const out = encoder.encode(msg);
        if (typeof out === 'string') seen.textOut++;
        else seen.binaryOut++;
        return out;
      },
      decode(data) {
        seen.decoded++;
        return encoder.decode(data);
      },
    },
  };
}

const encoders = {
  json: { flag: 'json', make: () => jsonEncoder, binary: false },
  msgpack: { flag: 'msgpack', make: () => ({ encode: (v) => msgpackEncode(v, { ignoreUndefined: true }), decode: (d) => msgpackDecode(d) }), binary: true },
};

for (const [encName, enc] of Object.entries(encoders)) {
  describe(`experimental_encoder ${encName}: same as @trpc/client's wsLink (${wsMode})`, () => {
    let server;
    before(async () => {
      server = await startServer(['--encoder', enc.flag]);
    });
    after(() => server.stop());

    const open = [];
    afterEach(() => Promise.all(open.splice(0).map((client) => client.close())));

    function clients(opts = {}) {
      const out = {};
      for (const [name, impl] of Object.entries(implementations)) {
        const c = counting(enc.make());
        const client = impl.create({ url: server.url, WebSocket: WebSocketImpl, experimental_encoder: c.encoder, ...opts });
        out[name] = { client, seen: c.seen, trpc: createTRPCClient({ links: [impl.link({ client })] }) };
        open.push(client);
      }
      return out;
    }
    const closeAll = (c) => Promise.all(Object.values(c).map(({ client }) => client.close()));

    test('queries, mutations and errors, one by one and batched', async () => {
      const c = clients();
      for (const [name, call] of calls) {
        const ref = await outcome(call(c.reference.trpc));
        const ours = await outcome(call(c.trpcws.trpc));
        assert.deepEqual(ours, ref, name);
      }
      const all = async (trpc) => Promise.all(calls.map(([, call]) => outcome(call(trpc))));
      assert.deepEqual(await all(c.trpcws.trpc), await all(c.reference.trpc), 'batched');
      // What went through the encoder: the same messages, in the same shape.
      assert.deepEqual(c.trpcws.seen.encoded, c.reference.seen.encoded);
      assert.equal(c.trpcws.seen.decoded, c.reference.seen.decoded);
      if (enc.binary) assert.ok(c.trpcws.seen.binaryOut > 0 && c.trpcws.seen.textOut === 0, 'binary frames');
      await closeAll(c);
    });

    if (enc.binary) {
      test('values only the binary codec carries: bytes, dates, undefined', async () => {
        const c = clients();
        for (const input of [new Uint8Array([0, 1, 255]), new Date(1700000000000), { nested: [new Uint8Array(3), null, 1.5] }, undefined]) {
          const ref = await outcome(c.reference.trpc.echo.query(input));
          const ours = await outcome(c.trpcws.trpc.echo.query(input));
          assert.deepEqual(ours, ref, String(input));
        }
        await closeAll(c);
      });
    }

    test('subscriptions: callbacks and their order', async () => {
      const c = clients();
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
      await closeAll(c);
    });

    test('connectionParams, sent first through the encoder', async () => {
      const c = clients({ connectionParams: async () => ({ user: 'ü-user', token: 'good' }) });
      for (const name of Object.keys(c)) {
        assert.deepEqual(await c[name].trpc.whoami.query(), { user: 'ü-user', token: 'good' }, name);
        assert.deepEqual(c[name].seen.encoded[0], { method: 'connectionParams', data: { user: 'ü-user', token: 'good' } }, name);
      }
      await closeAll(c);
    });

    test('tracked events resume after a dropped socket, and a server reconnect', async () => {
      await server.reset();
      const c = clients({ retryDelayMs: () => 0 });
      const logs = {};
      for (const [name, { trpc }] of Object.entries(c)) {
        const log = (logs[name] = { started: 0, ids: [] });
        trpc.onMessage.subscribe(undefined, { onStarted: () => log.started++, onData: (d) => log.ids.push(d.id) });
      }
      await waitFor(() => logs.reference.started === 1 && logs.trpcws.started === 1, 5000, 'started');
      const post = async (n) => {
        for (let i = 0; i < n; i++) await c.reference.trpc.postMessage.mutate({ text: `m${i}`, user: 'u' });
      };
      await post(3);
      await waitFor(() => logs.reference.ids.length === 3 && logs.trpcws.ids.length === 3, 5000, 'three events');
      await server.control('/control/drop');
      await waitFor(() => logs.reference.started === 2 && logs.trpcws.started === 2, 5000, 'resubscribed');
      await post(2);
      await waitFor(() => logs.reference.ids.length === 5 && logs.trpcws.ids.length === 5, 5000, 'five events');
      await server.control('/control/reconnect');
      await post(2);
      await waitFor(() => logs.reference.ids.length === 7 && logs.trpcws.ids.length === 7, 5000, 'seven events');
      assert.deepEqual(logs.trpcws, logs.reference);
      assert.deepEqual(logs.trpcws.ids, ['1', '2', '3', '4', '5', '6', '7']);
      // Resubscribing sent lastEventId through the encoder: none at first, '3' after the drop,
      // and on the move the last id delivered by then (which one depends on timing).
      const lastIds = (seen) => seen.encoded.flat().filter((m) => m?.params?.path === 'onMessage').map((m) => m.params.lastEventId);
      await waitFor(() => lastIds(c.trpcws.seen).length === 3 && lastIds(c.reference.seen).length === 3, 5000, 'the move to a new socket');
      for (const name of Object.keys(c)) {
        const ids = lastIds(c[name].seen);
        assert.deepEqual(ids.slice(0, 2), [undefined, '3'], name);
        assert.equal(ids.length, 3, name);
        assert.ok(['5', '6', '7'].includes(ids[2]), `${name}: ${ids[2]}`);
      }
      await closeAll(c);
    });

    test('keepAlive PING/PONG stay text frames', async () => {
      await server.reset();
      const c = clients({ keepAlive: { enabled: true, intervalMs: 30, pongTimeoutMs: 1000 } });
      await c.trpcws.trpc.echo.query('x');
      await waitFor(async () => (await server.stats()).pings >= 2, 5000, 'PINGs');
      const st = await server.stats();
      assert.ok(st.framesIn.includes('PING'), 'PING arrived as text');
      assert.ok(!c.trpcws.seen.encoded.includes('PING') && !c.trpcws.seen.encoded.includes('PONG'), 'not encoded');
      assert.equal(await c.trpcws.trpc.echo.query('still'), 'still');
      assert.ok(protocolFrames(st).length > 0);
      await closeAll(c);
    });
  });
}

describe('experimental_encoder: decode failures', () => {
  test('a frame the encoder cannot decode reaches onError; the connection carries on', async () => {
    const server = await startServer(['--encoder', 'json']);
    try {
      const errors = [];
      const client = createTRPCWebSocket({
        url: server.url,
        WebSocket: WebSocketImpl,
        experimental_encoder: jsonEncoder,
        onError: (e) => errors.push(e),
      });
      const trpc = createTRPCClient({ links: [wsLink({ client })] });
      assert.equal(await trpc.echo.query('a'), 'a');
      await server.control(`/control/send?frame=${encodeURIComponent('not json')}`);
      await waitFor(() => errors.length === 1, 5000, 'onError');
      assert.equal(errors[0].name, 'TRPCWebSocketFrameError');
      assert.equal(errors[0].frame, 'not json');
      assert.ok(errors[0].cause instanceof SyntaxError);
      assert.equal(await trpc.echo.query('b'), 'b');
      // Decoded, but not a message: Go drops it; onError gets the frame as it arrived.
      await server.control(`/control/send?frame=${encodeURIComponent('[1,2]')}`);
      await waitFor(() => errors.length === 2, 5000, 'onError for a non-message');
      assert.equal(errors[1].name, 'TRPCWebSocketFrameError');
      assert.equal(errors[1].frame, '[1,2]');
      assert.equal(await trpc.echo.query('c'), 'c');
      await client.close();
    } finally {
      await server.stop();
    }
  });
});
