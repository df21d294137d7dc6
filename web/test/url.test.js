// The WebSocket URL, JavaScript side: the rule shared with Go
// (testdata/websocket-urls.json), a bad string url refused at creation with
// a TypeError naming `url`, a url function's bad answer giving up at once
// (against the real server, whose good URL the next call then reaches), and
// Node's missing WebSocket explained.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { createTRPCClient, TRPCClientError } from '@trpc/client';
import { createTRPCWebSocket, wsLink } from '../index.js';
import { urlProblem } from '../lib/url.js';
import { startServer, waitFor, WebSocketImpl, wsMode } from './helpers.js';

const table = JSON.parse(readFileSync(new URL('../../testdata/websocket-urls.json', import.meta.url), 'utf8'));

test('the URL rule gives the reasons Go gives (testdata/websocket-urls.json)', () => {
  assert.ok(table.cases.length > 5);
  for (const { url, reason } of table.cases) assert.equal(urlProblem(url) ?? '', reason, url);
});

test('a string url that can never be dialled: TypeError naming `url`, the URL and why', () => {
  for (const { url, reason } of table.cases) {
    if (!reason) {
      createTRPCWebSocket({ url, WebSocket: WebSocketImpl, lazy: { enabled: true } }).close();
      continue;
    }
    assert.throws(
      () => createTRPCWebSocket({ url, WebSocket: WebSocketImpl }),
      (err) => err instanceof TypeError && err.message.includes('`url`') && err.message.includes(JSON.stringify(url)) && err.message.includes(reason),
      url,
    );
  }
  assert.throws(() => createTRPCWebSocket({ url: new URL('ftp://host/x'), WebSocket: WebSocketImpl }), /`url`.*scheme ftp/);
});

describe(`a url function's bad answer (${wsMode})`, () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(() => server.stop());

  test('gives up at once with a TypeError naming it; the next call asks again and reaches the server', async () => {
    let asked = 0;
    const events = [];
    const states = [];
    const client = createTRPCWebSocket({
      url: () => (++asked === 1 ? 'not a url' : server.url),
      WebSocket: WebSocketImpl,
      lazy: { enabled: true },
      onEvent: (e) => events.push(e),
    });
    client.connectionState.subscribe({ next: (s) => states.push(s) });
    const trpc = createTRPCClient({ links: [wsLink({ client })] });
    const bad = (err) => {
      // The TypeError is somewhere in the cause chain, as the reference nests a connection's cause.
      for (let e = err; e; e = e.cause) {
        if (e instanceof TypeError && /trpcws: url: invalid WebSocket URL "not a url": no scheme/.test(e.message)) return true;
      }
      return false;
    };
    await assert.rejects(trpc.echo.query('x'), (err) => err instanceof TRPCClientError && /gave up/.test(err.message) && bad(err));
    assert.equal(asked, 1, 'the url function was asked once: no retry loop');
    assert.equal(events.filter((e) => e.type === 'giveUp').length, 1);
    await waitFor(() => states.at(-1)?.state === 'idle', 3000, 'idle');
    assert.ok(bad(states.at(-1).error), `state error: ${states.at(-1).error}`);
    assert.equal(await trpc.echo.query('again'), 'again');
    assert.equal(asked, 2);
    await client.close();
  });
});

test('no WebSocket in Node: the reference message, then what to do', () => {
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'WebSocket');
  delete globalThis.WebSocket;
  try {
    assert.throws(
      () => createTRPCWebSocket({ url: 'ws://x' }),
      (err) =>
        err.message.startsWith('No WebSocket implementation found') &&
        err.message.includes(`Node ${process.versions.node}`) &&
        err.message.includes('--experimental-websocket') &&
        err.message.includes('Node 22') &&
        err.message.includes("'ws' package"),
    );
  } finally {
    if (saved) Object.defineProperty(globalThis, 'WebSocket', saved);
  }
});
