#!/usr/bin/env node
// Self-check of the test server against the REAL @trpc/client and raw `ws`
// frames. Exits non-zero on any failure.
//
//   node testserver/selfcheck.mjs                 # starts server.mjs itself (twice: plain + superjson)
//   node testserver/selfcheck.mjs ws://127.0.0.1:PORT   # checks a running server (no transformer)
//   add -v to print every raw frame.

import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import superjson from 'superjson';
import WebSocket from 'ws';

const here = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const verbose = argv.includes('-v');
const urlArg = argv.find((a) => a.startsWith('ws://') || a.startsWith('wss://'));

let failures = 0;
let passes = 0;
function ok(cond, what, extra) {
  if (cond) {
    passes++;
    if (verbose) console.log(`  ok   ${what}`);
  } else {
    failures++;
    console.log(`  FAIL ${what}${extra !== undefined ? ` :: ${typeof extra === 'string' ? extra : JSON.stringify(extra)}` : ''}`);
  }
}
/** JSON with sorted keys, so that key order does not matter. */
function canon(v) {
  return JSON.stringify(v, (_k, x) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, x[k]]))
      : x,
  );
}
function eq(actual, expected, what) {
  const a = canon(actual);
  const e = canon(expected);
  ok(a === e, what, `got ${a}, want ${e}`);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, fn, timeoutMs = 3000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    let v;
    try {
      v = await fn();
    } catch (err) {
      v = undefined;
      if (Date.now() > end) {
        ok(false, what, String(err?.message ?? err));
        return undefined;
      }
    }
    if (v) return v;
    if (Date.now() > end) {
      ok(false, what, 'timed out');
      return undefined;
    }
    await sleep(10);
  }
}

// ------------------------------------------------------------ server process

async function startServer(extra = []) {
  const child = spawn(process.execPath, [path.join(here, 'server.mjs'), '--port', '0', ...extra], {
    stdio: ['pipe', 'pipe', verbose ? 'inherit' : 'ignore'],
  });
  const rl = readline.createInterface({ input: child.stdout });
  const port = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('server did not print LISTENING')), 10000);
    rl.once('line', (line) => {
      clearTimeout(t);
      const m = /^LISTENING (\d+)$/.exec(line);
      if (m) resolve(Number(m[1]));
      else reject(new Error(`unexpected first line ${line}`));
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  return {
    port,
    url: `ws://127.0.0.1:${port}`,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
    child,
  };
}

// ------------------------------------------------------------ raw client

function httpBase(wsURL) {
  return wsURL.replace(/^ws/, 'http').replace(/\/+$/, '');
}
async function control(base, what) {
  const res = await fetch(`${base}/control/${what}`);
  if (!res.ok) throw new Error(`control ${what}: ${res.status}`);
  return res.json();
}

class Raw {
  constructor(url) {
    this.frames = [];
    this.closed = null;
    this.ws = new WebSocket(url);
    this.ws.on('message', (d, isBinary) => {
      const s = isBinary ? `<binary>` : d.toString();
      if (verbose) console.log(`    S> ${s.length > 300 ? s.slice(0, 300) + '…' : s}`);
      this.frames.push(s);
    });
    this.ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
    });
    this.ws.on('error', () => {});
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', resolve);
      this.ws.once('error', reject);
    });
  }
  send(x) {
    const s = typeof x === 'string' ? x : JSON.stringify(x);
    if (verbose) console.log(`    C> ${s}`);
    this.ws.send(s);
  }
  json() {
    return this.frames.filter((f) => f !== 'PONG' && f !== 'PING').map((f) => JSON.parse(f));
  }
  forId(id) {
    return this.json().filter((m) => m.id === id);
  }
  async waitFor(what, pred, timeoutMs = 3000) {
    return until(what, () => this.json().find(pred), timeoutMs);
  }
  async waitClosed(what, timeoutMs = 3000) {
    return until(what, () => this.closed, timeoutMs);
  }
  close() {
    this.ws.close();
  }
}

async function rawChecks(url) {
  const base = httpBase(url);
  console.log(`raw frame checks on ${url}`);
  await control(base, 'reset');

  const r = new Raw(`${url}/`);
  await r.opened;

  // queries, mutations, void results
  r.send({ id: 1, method: 'query', params: { path: 'echo', input: 'a' } });
  await r.waitFor('echo answered', (m) => m.id === 1);
  eq(r.frames.find((f) => f.includes('"id":1,')), '{"id":1,"result":{"type":"data","data":"a"}}', 'echo frame exact');

  r.send({ id: 2, method: 'mutation', params: { path: 'voidMutation' } });
  await r.waitFor('voidMutation answered', (m) => m.id === 2);
  eq(r.frames.find((f) => f.includes('"id":2,')), '{"id":2,"result":{"type":"data"}}', 'void result has no data');

  r.send({ id: 3, method: 'query', params: { path: 'echo' } });
  await r.waitFor('echo(undefined) answered', (m) => m.id === 3);
  eq(r.forId(3)[0], { id: 3, result: { type: 'data' } }, 'echo(undefined) is a void result');

  r.send({ id: 4, method: 'mutation', params: { path: 'add', input: { a: 2, b: 40 } } });
  eq((await r.waitFor('add answered', (m) => m.id === 4))?.result, { type: 'data', data: 42 }, 'add 2+40');

  r.send({ id: 5, method: 'mutation', params: { path: 'add', input: { a: 'x' } } });
  const badInput = await r.waitFor('bad add input answered', (m) => m.id === 5);
  eq([badInput?.error?.code, badInput?.error?.data?.code], [-32600, 'BAD_REQUEST'], 'bad input → BAD_REQUEST');

  // errors
  r.send({ id: 6, method: 'query', params: { path: 'fail', input: { message: 'nope' } } });
  const f = await r.waitFor('fail answered', (m) => m.id === 6);
  eq(
    [f?.error?.message, f?.error?.code, f?.error?.data?.code, f?.error?.data?.httpStatus, f?.error?.data?.path],
    ['nope', -32600, 'BAD_REQUEST', 400, 'fail'],
    'fail error frame',
  );
  ok(!('result' in (f ?? {})), 'error frame has no result');
  r.send({ id: 7, method: 'query', params: { path: 'fail', input: { code: 'UNAUTHORIZED', message: 'who' } } });
  const f2 = await r.waitFor('fail(UNAUTHORIZED) answered', (m) => m.id === 7);
  eq([f2?.error?.code, f2?.error?.data?.code, f2?.error?.data?.httpStatus], [-32001, 'UNAUTHORIZED', 401], 'fail UNAUTHORIZED');
  r.send({ id: 8, method: 'query', params: { path: 'crash' } });
  const c = await r.waitFor('crash answered', (m) => m.id === 8);
  eq([c?.error?.message, c?.error?.code, c?.error?.data?.code], ['boom', -32603, 'INTERNAL_SERVER_ERROR'], 'crash → INTERNAL_SERVER_ERROR');

  // PING / PONG
  const pongs = () => r.frames.filter((x) => x === 'PONG').length;
  r.send('PING');
  await until('PONG for PING', () => pongs() === 1);
  await control(base, 'set?noPong=1');
  r.send('PING');
  await sleep(300);
  eq(pongs(), 1, 'noPong swallows the PONG');
  await control(base, 'set?noPong=0');
  r.send('PING');
  await until('PONG again after noPong=0', () => pongs() === 2);

  // subscriptions: plain
  r.send({ id: 10, method: 'subscription', params: { path: 'counter', input: { count: 2, intervalMs: 5 } } });
  await r.waitFor('counter stopped', (m) => m.id === 10 && m.result?.type === 'stopped');
  eq(
    r.forId(10).map((m) => m.result),
    [{ type: 'started' }, { type: 'data', data: 0 }, { type: 'data', data: 1 }, { type: 'stopped' }],
    'counter frames',
  );

  // subscriptions: tracked with lastEventId, then stop
  r.send({ id: 11, method: 'subscription', params: { path: 'events', input: { intervalMs: 5 }, lastEventId: '41' } });
  await until('events yields 3', () => r.forId(11).filter((m) => m.result?.type === 'data').length >= 3);
  const ev = r.forId(11);
  eq(ev[0]?.result, { type: 'started' }, 'events started first');
  eq(ev[1]?.result, { type: 'data', id: '42', data: { id: '42', data: { n: 42 } } }, 'tracked event resumes after lastEventId');
  r.send({ id: 11, method: 'subscription.stop' });
  await r.waitFor('stopped after subscription.stop', (m) => m.id === 11 && m.result?.type === 'stopped');
  const st = await until('server recorded the events end', async () => {
    const s = await control(base, 'stats');
    return s.subscriptionEnds.some((e) => e.path === 'events') ? s : undefined;
  });
  if (st) {
    eq(st.stopFrames, 1, 'stats.stopFrames');
    eq(st.pings, 3, 'stats.pings');
    const start = st.subscriptionStarts.find((s) => s.path === 'events');
    eq([start?.id, start?.lastEventId, start?.input], [11, '41', { intervalMs: 5, lastEventId: '41' }], 'events start recorded with id and lastEventId');
    const end = st.subscriptionEnds.find((e) => e.path === 'events');
    eq([end?.id, end?.reason], [11, 'aborted'], 'events end recorded as aborted');
    ok(st.framesIn.includes('{"id":11,"method":"subscription.stop"}'), 'framesIn has the stop frame');
    eq(st.connections, 1, 'stats.connections');
  }

  // events with max: completes by itself
  r.send({ id: 12, method: 'subscription', params: { path: 'events', input: { max: 2, intervalMs: 1 } } });
  await r.waitFor('events{max:2} stopped', (m) => m.id === 12 && m.result?.type === 'stopped');
  eq(r.forId(12).map((m) => m.result.id ?? m.result.type), ['started', '1', '2', 'stopped'], 'events max 2');

  // failing subscription: data, error, stopped
  r.send({ id: 13, method: 'subscription', params: { path: 'failingSub', input: { after: 1 } } });
  await r.waitFor('failingSub stopped', (m) => m.id === 13 && m.result?.type === 'stopped');
  const fs = r.forId(13);
  eq(fs.map((m) => (m.error ? `error:${m.error.message}:${m.error.code}` : m.result.type)), ['started', 'data', 'error:sub failed:-32600', 'stopped'], 'failingSub frames');

  // duplicate id of a live subscription
  r.send({ id: 14, method: 'subscription', params: { path: 'events', input: { intervalMs: 50 } } });
  r.send({ id: 14, method: 'subscription', params: { path: 'events', input: { intervalMs: 50 } } });
  const dup = await r.waitFor('duplicate id rejected', (m) => m.id === 14 && m.error);
  eq(dup?.error?.message, 'Duplicate id 14', 'duplicate id message');
  r.send({ id: 14, method: 'subscription.stop' });

  // batch: one frame, single-frame answers
  r.send([
    { id: 15, method: 'query', params: { path: 'echo', input: 'x' } },
    { id: 16, method: 'mutation', params: { path: 'add', input: { a: 1, b: 1 } } },
  ]);
  await r.waitFor('batch answered', (m) => m.id === 16);
  await r.waitFor('batch answered', (m) => m.id === 15);
  ok(!r.frames.some((x) => x.startsWith('[')), 'answers are never arrays');

  // unparsable frame → id:null PARSE_ERROR
  r.send('garbage');
  const pe = await r.waitFor('garbage answered', (m) => m.id === null && m.error);
  eq([pe?.error?.code, pe?.error?.data?.code], [-32700, 'PARSE_ERROR'], 'garbage → id:null PARSE_ERROR');

  // reconnect notification
  await control(base, 'reconnect');
  await until('reconnect notification', () => r.frames.includes('{"id":null,"method":"reconnect"}'));

  // close with code
  await control(base, 'close?code=4000&reason=bye');
  const cl = await r.waitClosed('closed by /control/close');
  eq(cl, { code: 4000, reason: 'bye' }, 'close code and reason');

  // connectionParams
  const p = new Raw(`${url}/?connectionParams=1`);
  await p.opened;
  p.send({ method: 'connectionParams', data: { token: 'good', user: 'ann' } });
  p.send({ id: 1, method: 'query', params: { path: 'whoami' } });
  eq((await p.waitFor('whoami answered', (m) => m.id === 1))?.result?.data, { token: 'good', user: 'ann' }, 'whoami returns connectionParams');

  // drop → 1006
  await control(base, 'drop');
  eq((await p.waitClosed('dropped'))?.code, 1006, 'drop → 1006');

  // rejectParams
  await control(base, 'set?rejectParams=1');
  const b = new Raw(`${url}/?connectionParams=1`);
  await b.opened;
  b.send({ method: 'connectionParams', data: { token: 'bad' } });
  const rej = await b.waitFor('rejected', (m) => m.id === null);
  eq(
    rej,
    { id: null, error: { message: 'bad token', code: -32001, data: { code: 'UNAUTHORIZED', httpStatus: 401, stack: rej?.error?.data?.stack } } },
    'rejectParams → id:null UNAUTHORIZED',
  );
  const bc = await b.waitClosed('server closes after rejecting');
  // the adapter calls client.close() without a code: the client sees 1005
  eq(bc?.code, 1005, 'closed (1005, no status) after rejection');
  const g = new Raw(`${url}/?connectionParams=1`);
  await g.opened;
  g.send({ method: 'connectionParams', data: { token: 'good' } });
  g.send({ id: 1, method: 'query', params: { path: 'echo', input: 1 } });
  ok(await g.waitFor('good token accepted', (m) => m.id === 1 && m.result), 'good token accepted');
  // no connectionParams at all while rejecting → rejected at once
  const n = new Raw(`${url}/`);
  await n.opened;
  ok(await n.waitFor('rejected without params', (m) => m.id === null && m.error?.data?.code === 'UNAUTHORIZED'), 'rejected without params');
  await control(base, 'set?rejectParams=0');
  g.close();

  const stats = await control(base, 'stats');
  ok(stats.connectionParams.some((x) => x?.token === 'bad'), 'stats.connectionParams records bad token');
  ok(stats.connectionParams.includes(null), 'stats.connectionParams records null for no params');
  ok(stats.connectionLog.some((c) => c.url === '/?connectionParams=1'), 'connectionLog records url');

  // restart: same port, state kept
  const m = new Raw(`${url}/`);
  await m.opened;
  m.send({ id: 1, method: 'mutation', params: { path: 'postMessage', input: { text: 'before restart' } } });
  await m.waitFor('posted', (x) => x.id === 1);
  m.send({ id: 2, method: 'subscription', params: { path: 'events', input: { intervalMs: 5 } } });
  await m.waitFor('events before restart', (x) => x.id === 2 && x.result?.type === 'data');
  const t0 = Date.now();
  const rr = await control(base, 'restart?downMs=300');
  eq(rr.ok, true, 'restart acknowledged');
  eq((await m.waitClosed('socket dropped by restart'))?.code, 1006, 'restart drops sockets with 1006');
  let refused = false;
  try {
    await fetch(`${base}/control/stats`);
  } catch {
    refused = true;
  }
  ok(refused, 'server is down right after the restart reply');
  await until('server back after restart', async () => (await control(base, 'stats')).generation === 2, 5000);
  ok(Date.now() - t0 >= 280, 'down for about downMs', Date.now() - t0);
  const m2 = new Raw(`${url}/`);
  await m2.opened;
  m2.send({ id: 1, method: 'subscription', params: { path: 'onMessage', input: {} } });
  const replay = await m2.waitFor('onMessage replays', (x) => x.id === 1 && x.result?.type === 'data');
  eq([replay?.result?.id, replay?.result?.data?.data?.text], ['1', 'before restart'], 'messages survive restart (tracked replay)');
  const s2 = await control(base, 'stats');
  ok(s2.subscriptionEnds.some((e) => e.path === 'events' && e.reason === 'aborted'), 'restart ended the events subscription');
  m2.close();
}

// ------------------------------------------------------------ real @trpc/client

function makeClient(url, extra = {}, transformer) {
  const events = { opens: 0, closes: [] };
  const wsClient = createWSClient({
    url,
    WebSocket,
    retryDelayMs: () => 50,
    onOpen: () => events.opens++,
    onClose: (cause) => events.closes.push(cause?.code),
    ...extra,
  });
  const trpc = createTRPCClient({ links: [wsLink({ client: wsClient, ...(transformer ? { transformer } : {}) })] });
  return { wsClient, trpc, events };
}

function collect(sub, input) {
  const out = { data: [], started: 0, complete: false, error: null };
  out.unsub = sub.subscribe(input, {
    onStarted: () => out.started++,
    onData: (d) => out.data.push(d),
    onError: (e) => (out.error = e),
    onComplete: () => (out.complete = true),
  });
  return out;
}

async function clientChecks(url) {
  const base = httpBase(url);
  console.log(`@trpc/client checks on ${url}`);
  await control(base, 'reset');
  const { wsClient, trpc, events } = makeClient(url, { connectionParams: async () => ({ token: 'good' }) });
  try {
    eq(await trpc.echo.query({ hello: ['world', 1] }), { hello: ['world', 1] }, 'client query echo');
    eq(await trpc.echo.query(), undefined, 'client query echo(undefined)');
    eq(await trpc.add.mutate({ a: 20, b: 22 }), 42, 'client mutation add');
    eq(await trpc.voidMutation.mutate(), undefined, 'client void mutation');
    eq(await trpc.whoami.query(), { token: 'good' }, 'client connectionParams reach ctx');
    try {
      await trpc.fail.query({ code: 'FORBIDDEN', message: 'no way' });
      ok(false, 'client error rejects');
    } catch (err) {
      eq([err.name, err.message, err.data?.code, err.data?.httpStatus, err.shape?.code], ['TRPCClientError', 'no way', 'FORBIDDEN', 403, -32003], 'client error shape');
    }
    const s = await trpc.slow.query({ ms: 30, value: 'late' });
    eq(s, 'late', 'client slow query');

    // tracked subscription to completion
    const sub = collect(trpc.events, { max: 3, intervalMs: 5 });
    await until('client tracked subscription completes', () => sub.complete);
    eq(sub.data, [1, 2, 3].map((n) => ({ id: String(n), data: { n } })), 'client sees {id, data} for tracked events');
    eq(sub.started, 1, 'client onStarted once');

    // plain subscription
    const cnt = collect(trpc.counter, { count: 3, intervalMs: 1 });
    await until('client counter completes', () => cnt.complete);
    eq(cnt.data, [0, 1, 2], 'client plain subscription values');

    // failing subscription
    const fsub = collect(trpc.failingSub, { after: 2 });
    await until('client failingSub errors', () => fsub.error);
    eq([fsub.data, fsub.error?.message, fsub.complete], [[0, 1], 'sub failed', false], 'client failingSub: data then error');

    // drop: the client reconnects and resumes after lastEventId
    const live = collect(trpc.events, { intervalMs: 5 });
    await until('live events flowing', () => live.data.length >= 3);
    await control(base, 'drop');
    await until('events resume after drop', () => live.data.length >= 8 && live.started >= 2, 5000);
    const ids = live.data.map((d) => Number(d.id));
    eq(ids, ids.map((_, i) => i + 1), 'no gap and no duplicate across a drop (lastEventId resume)');
    const st = await control(base, 'stats');
    const starts = st.subscriptionStarts.filter((x) => x.path === 'events' && x.input?.intervalMs === 5 && x.input?.max === undefined);
    ok(starts.length >= 2 && starts.at(-1).lastEventId !== null, 'server saw the resubscribe with lastEventId', starts);

    // server reconnect notification: make-before-break, no gap, no dup
    const before = live.data.length;
    const opensBefore = events.opens;
    await control(base, 'reconnect');
    await until('events continue after reconnect notification', () => live.data.length >= before + 6 && events.opens > opensBefore, 5000);
    const ids2 = live.data.map((d) => Number(d.id));
    eq(ids2, ids2.map((_, i) => i + 1), 'no gap and no duplicate across a reconnect notification');
    const st2 = await until('old socket stopped its subscription', async () => {
      const x = await control(base, 'stats');
      return x.stopFrames >= 1 ? x : undefined;
    });
    ok(st2 && st2.totalConnections >= 3, 'a new socket was opened for the reconnect', st2?.totalConnections);

    live.unsub.unsubscribe();
    await until('server saw the unsubscribe', async () => {
      const x = await control(base, 'stats');
      return x.subscriptionEnds.filter((e) => e.path === 'events' && e.reason === 'aborted').length >= 3;
    });

    // keepAlive PING/PONG from the real client
    const ka = makeClient(url, { keepAlive: { enabled: true, intervalMs: 100, pongTimeoutMs: 200 } });
    eq(await ka.trpc.echo.query(1), 1, 'keepAlive client query');
    await until('real client sends PING, server PONGs', async () => {
      const x = await control(base, 'stats');
      return x.pings >= 2 && x.pongsSent >= 2;
    });
    // noPong: the client's pong timeout closes and reconnects
    await control(base, 'set?noPong=1');
    await until('client reconnects after missing PONG', () => ka.events.opens >= 2, 3000);
    await control(base, 'set?noPong=0');
    await ka.wsClient.close();
  } finally {
    await wsClient.close();
  }
}

async function superjsonChecks(url) {
  console.log(`superjson checks on ${url}`);
  const { wsClient, trpc } = makeClient(url, {}, superjson);
  try {
    const d = new Date('2020-01-02T03:04:05Z');
    const back = await trpc.echo.query({ d, m: new Map([['k', 1n]]) });
    ok(back?.d instanceof Date && back.d.getTime() === d.getTime(), 'superjson Date round trip');
    ok(back?.m instanceof Map && back.m.get('k') === 1n, 'superjson Map/BigInt round trip');
    const sub = collect(trpc.events, { max: 2, intervalMs: 1 });
    await until('superjson subscription completes', () => sub.complete);
    eq(sub.data, [1, 2].map((n) => ({ id: String(n), data: { n } })), 'superjson tracked events');
    try {
      await trpc.fail.query({ message: 'sj' });
      ok(false, 'superjson error rejects');
    } catch (err) {
      eq([err.message, err.data?.code], ['sj', 'BAD_REQUEST'], 'superjson error');
    }
    // raw frame shape with superjson
    const r = new Raw(`${url}/`);
    await r.opened;
    r.send({ id: 1, method: 'query', params: { path: 'echo', input: { json: { a: 1 } } } });
    const f = await r.waitFor('superjson raw echo', (m) => m.id === 1);
    eq(f?.result, { type: 'data', data: { json: { a: 1 } } }, 'superjson result data is {json}');
    r.close();
  } finally {
    await wsClient.close();
  }
}

// ------------------------------------------------------------ main

const started = [];
try {
  if (urlArg) {
    await rawChecks(urlArg.replace(/\/+$/, ''));
    await clientChecks(urlArg.replace(/\/+$/, ''));
  } else {
    const plain = await startServer();
    started.push(plain);
    await rawChecks(plain.url);
    await clientChecks(plain.url);
    const sj = await startServer(['--transformer', 'superjson']);
    started.push(sj);
    await superjsonChecks(sj.url);
  }
} catch (err) {
  failures++;
  console.log(`  FAIL exception: ${err?.stack ?? err}`);
} finally {
  await Promise.all(started.map((s) => s.stop()));
}
console.log(`selfcheck: ${passes} passed, ${failures} failed`);
process.exit(failures ? 1 : 0);
