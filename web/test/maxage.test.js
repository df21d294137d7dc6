// maxConnectionAgeMs against the real server: the client moves to a new
// socket every 200 ms (make-before-break) under a tracked subscription, a
// query loop and a mutation loop, and nothing is lost or duplicated; a lazy
// client with nothing to do closes instead.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTRPCClient } from '@trpc/client';
import { createTRPCWebSocket, wsLink } from '../index.js';
import { startServer, waitFor, WebSocketImpl, wsMode } from './helpers.js';

// Every client made, closed in after() too: a failed assertion must not
// leave one open (its sockets would keep the test process alive).
const clients = [];

function connect(url, opts = {}) {
  const client = createTRPCWebSocket({ url, WebSocket: WebSocketImpl, ...opts });
  clients.push(client);
  return { client, trpc: createTRPCClient({ links: [wsLink({ client })] }) };
}

describe(`maxConnectionAgeMs (${wsMode})`, () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server.stop();
  });

  test('rotating every 200 ms loses and duplicates nothing', async () => {
    await server.reset();
    const { client, trpc } = connect(server.url, { maxConnectionAgeMs: 200 });
    const ids = [];
    const log = [];
    trpc.events.subscribe(
      { intervalMs: 5 },
      {
        onStarted: () => log.push('started'),
        onData: (d) => ids.push(Number(d.id)),
        onError: (err) => log.push(`error: ${err}`),
        onComplete: () => log.push('complete'),
      },
    );
    let stop = false;
    let queries = 0;
    let mutations = 0;
    const queryLoop = async () => {
      for (let i = 0; !stop; i++) {
        // slow keeps queries in flight when a move starts: they finish on the old socket.
        assert.equal(await trpc.slow.query({ ms: 15, value: i }), i, `query ${i} answered with another's result`);
        queries++;
      }
    };
    const mutationLoop = async () => {
      while (!stop) {
        await trpc.increment.mutate({ by: 1 });
        mutations++;
      }
    };
    const loops = Promise.all([queryLoop(), queryLoop(), mutationLoop()]);
    const rotations = 10;
    try {
      await waitFor(async () => (await server.stats()).totalConnections >= rotations, 15000, `${rotations} connections`);
    } finally {
      stop = true;
      await loops;
    }
    const seen = ids.length;
    await waitFor(() => ids.length >= seen + 3, 5000, 'events after the rotations');
    ids.forEach((id, i) => assert.equal(id, i + 1, `event ${i} has id ${id} (lost or duplicated across a move)`));
    assert.deepEqual(log, ['started'], 'one onStarted, no error or completion');
    const st = await server.stats();
    assert.equal(await trpc.getCount.query(), mutations, 'every mutation ran once on the server');
    assert.ok(st.subscriptionStarts.filter((s) => s.path === 'events').length >= rotations - 1, 'resubscribed on each new socket');
    assert.ok(queries > 0 && mutations > 0);
    await client.close();
  });

  test('a lazy client with nothing to do closes at max age; the next call opens a socket', async () => {
    await server.reset();
    const { client, trpc } = connect(server.url, { maxConnectionAgeMs: 100, lazy: { enabled: true, closeMs: 3_600_000 } });
    assert.equal(await trpc.echo.query(1), 1);
    // (On a loaded machine the answer can come after max age: the client then
    // moves once, with the query in flight, and the new socket closes idle.)
    const st = await waitFor(async () => {
      const st = await server.stats();
      return st.connections === 0 && st;
    }, 5000, 'the idle socket closed');
    await waitFor(() => client.connectionState.get().state === 'idle', 5000, 'state idle');
    assert.equal(await trpc.echo.query(2), 2);
    assert.equal((await server.stats()).totalConnections, st.totalConnections + 1);
    await client.close();
  });
});
