#!/usr/bin/env node
// The project's REAL tRPC test server: @trpc/server 11.25.2 + ws 8 through
// applyWSSHandler, plus plain-HTTP control endpoints for tests, and the same
// router over HTTP (httpBatchLink, httpBatchStreamLink, SSE subscriptions)
// through the standalone adapter under /trpc/ and the fetch adapter under
// /fetch/.
//
//   node testserver/server.mjs [--port N] [--host 127.0.0.1]
//        [--transformer superjson] [--encoder json|msgpack] [--static DIR]
//        [--server-keepalive pingMs,pongWaitMs] [--ignore-stdin]
//
// --encoder: applyWSSHandler's experimental_encoder. json: @trpc/server's
// stock jsonEncoder, passed explicitly; msgpack: @msgpack/msgpack in binary
// frames (the frame logs of /control/stats show binary frames decoded, as
// JSON text). Default: none given (the server's own default, JSON text).
//
// After listening it prints exactly one line `LISTENING <port>` on stdout;
// everything else goes to stderr. See README.md for procedures and controls.

import { EventEmitter, on } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import { initTRPC, TRPCError, tracked } from '@trpc/server';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { WebSocketServer } from 'ws';
import { describe } from './describe.mjs';
import { jsonEncoder } from '@trpc/server/adapters/ws';
import { decode as msgpackDecode, encode as msgpackEncode } from '@msgpack/msgpack';

// ---------------------------------------------------------------- CLI

function parseArgs(argv) {
  const o = {
    port: 0,
    host: '127.0.0.1',
    transformer: '',
    encoder: '',
    static: '',
    keepAlive: null,
    ignoreStdin: false,
    quiet: false,
    noStack: false,
  };
  const need = (i, name) => {
    if (i >= argv.length) die(`missing value for ${name}`);
    return argv[i];
  };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let v;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) {
      v = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const val = () => (v !== undefined ? v : need(++i, a));
    switch (a) {
      case '--port':
        o.port = Number(val());
        if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) die('bad --port');
        break;
      case '--host':
        o.host = val();
        break;
      case '--transformer':
        o.transformer = val();
        if (o.transformer !== 'superjson' && o.transformer !== '' && o.transformer !== 'none') {
          die(`unknown transformer ${o.transformer} (only superjson)`);
        }
        if (o.transformer === 'none') o.transformer = '';
        break;
      case '--encoder':
        o.encoder = val();
        if (o.encoder !== 'json' && o.encoder !== 'msgpack') die(`unknown encoder ${o.encoder} (json or msgpack)`);
        break;
      case '--static':
        o.static = path.resolve(val());
        break;
      case '--server-keepalive': {
        const [pingMs, pongWaitMs] = val().split(',').map(Number);
        if (!(pingMs > 0) || !(pongWaitMs > 0)) die('--server-keepalive wants pingMs,pongWaitMs');
        o.keepAlive = { enabled: true, pingMs, pongWaitMs };
        break;
      }
      case '--ignore-stdin':
        o.ignoreStdin = true;
        break;
      case '--quiet':
        o.quiet = true;
        break;
      case '--no-stack':
        o.noStack = true;
        break;
      case '-h':
      case '--help':
        process.stderr.write(
          'usage: node server.mjs [--port N] [--host H] [--transformer superjson] [--encoder json|msgpack] [--static DIR]\n' +
            '                       [--server-keepalive pingMs,pongWaitMs] [--ignore-stdin] [--quiet] [--no-stack]\n',
        );
        process.exit(0);
        break;
      default:
        die(`unknown argument ${a}`);
    }
  }
  return o;
}

function die(msg) {
  process.stderr.write(`server.mjs: ${msg}\n`);
  process.exit(2);
}

const opts = parseArgs(process.argv.slice(2));

/** The experimental_encoder the server is given (--encoder), or undefined. */
const encoder =
  opts.encoder === 'json'
    ? jsonEncoder
    : opts.encoder === 'msgpack'
      ? { encode: (data) => msgpackEncode(data, { ignoreUndefined: true }), decode: (data) => msgpackDecode(data) }
      : undefined;

/** A binary frame as the logs show it: decoded to JSON text with msgpack, else its size. */
function binaryFrameText(data) {
  if (opts.encoder === 'msgpack') {
    try {
      return JSON.stringify(msgpackDecode(data));
    } catch {
      // not msgpack: shown by size
    }
  }
  return `<binary ${data?.length ?? 0} bytes>`;
}

function log(...args) {
  if (opts.quiet) return;
  process.stderr.write(`[testserver ${new Date().toISOString().slice(11, 23)}] ${args.join(' ')}\n`);
}

// ---------------------------------------------------------------- state

const FRAME_KEEP = 500;
const LOG_KEEP = 1000;

/** Pushes onto a bounded array, trimming in amortised O(1). */
function pushBounded(arr, item, keep) {
  arr.push(item);
  if (arr.length > keep * 2) arr.splice(0, arr.length - keep);
}
function lastN(arr, keep) {
  return arr.length > keep ? arr.slice(arr.length - keep) : arr.slice();
}

function newStats() {
  return {
    totalConnections: 0,
    connectionParams: [],
    connectionLog: [],
    subscriptionStarts: [],
    subscriptionEnds: [],
    framesIn: [],
    frameLog: [],
    stopFrames: 0,
    pings: 0,
    pongsSent: 0,
    pingsSent: 0,
    secretMutations: 0,
  };
}
function newSettings() {
  return { rejectParams: false, noPong: false, token: 'good' };
}

let stats = newStats();
let settings = newSettings();
let nextConnId = 1;
let generation = 1; // bumped by every restart

// Demo (chat) state: survives restarts, cleared by /control/reset.
const chat = {
  messages: [], // {id, text, user, at}
  nextId: 1,
  counter: 0,
  emitter: new EventEmitter(),
};
chat.emitter.setMaxListeners(0);

// ---------------------------------------------------------------- router

const transformer = opts.transformer === 'superjson' ? (await import('superjson')).default : undefined;
// isDev (the default unless NODE_ENV=production) puts `stack` into error data.
const t = initTRPC.context().create({
  ...(transformer ? { transformer } : {}),
  ...(opts.noStack ? { isDev: false } : {}),
  // SSE subscriptions of the HTTP handler under /trpc/ (httpSubscriptionLink).
  sse: { enabled: true, ping: { enabled: true, intervalMs: 1000 }, client: { reconnectAfterInactivityMs: 3000 } },
});

const isObj = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
function bad(message) {
  // A parser that throws becomes BAD_REQUEST "…" with the error as cause.
  throw new Error(message);
}
function obj(v, name) {
  if (v === undefined || v === null) return {};
  if (!isObj(v)) bad(`${name}: input must be an object`);
  return v;
}
function optNum(o, key, def, name) {
  const v = o[key];
  if (v === undefined || v === null) return def;
  if (typeof v !== 'number' || !Number.isFinite(v)) bad(`${name}: ${key} must be a number`);
  return v;
}
/** Keeps the raw input on the parsed one (non-enumerable) for the stats. */
function keepRaw(raw, out) {
  Object.defineProperty(out, '__raw', { value: raw, enumerable: false });
  return out;
}
function num(o, key, name) {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) bad(`${name}: ${key} must be a number`);
  return v;
}

/** Resolves after ms, or as soon as signal aborts (resolving, not rejecting). */
function sleep(ms, signal) {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Best-effort request id of a subscription: the raw-frame listener queues
 * {id, path} per connection; the procedure takes the first matching entry.
 */
function takeRequestId(ctx, path) {
  const q = ctx.conn?.pendingSubs;
  if (!q) return undefined;
  const i = q.findIndex((e) => e.path === path);
  if (i < 0) return undefined;
  const [e] = q.splice(i, 1);
  return e.id;
}

/** Wraps a subscription generator to record its start and its end. */
function recordedSub(pathName, gen) {
  return async function* (o) {
    const raw = isObj(o.input) && '__raw' in o.input ? o.input.__raw : o.input;
    const start = {
      path: pathName,
      conn: o.ctx.conn?.id ?? null,
      id: takeRequestId(o.ctx, pathName),
      lastEventId: isObj(raw) && raw.lastEventId !== undefined && raw.lastEventId !== null ? String(raw.lastEventId) : null,
      input: raw === undefined ? null : raw,
      generation,
      at: Date.now(),
    };
    stats.subscriptionStarts.push(start);
    const st = { yielded: 0, error: null };
    try {
      for await (const v of gen(o, st)) {
        st.yielded++;
        yield v;
      }
    } catch (err) {
      st.error = err?.message ?? String(err);
      throw err;
    } finally {
      stats.subscriptionEnds.push({
        path: pathName,
        conn: start.conn,
        id: start.id,
        lastEventId: start.lastEventId,
        reason: st.error !== null ? 'error' : o.signal?.aborted ? 'aborted' : 'completed',
        error: st.error,
        yielded: st.yielded,
        lastYielded: st.last ?? null,
        at: Date.now(),
      });
    }
  };
}

const router = t.router({
  echo: t.procedure.input((v) => v).query(({ input }) => input),

  add: t.procedure
    .input((v) => {
      if (!isObj(v)) bad('add: input must be {a, b}');
      return { a: num(v, 'a', 'add'), b: num(v, 'b', 'add') };
    })
    .mutation(({ input }) => input.a + input.b),

  voidMutation: t.procedure.mutation(() => undefined),

  slow: t.procedure
    .input((v) => {
      const o = obj(v, 'slow');
      return { ms: optNum(o, 'ms', 100, 'slow'), value: o.value };
    })
    .query(async ({ input, signal }) => {
      const done = await sleep(input.ms, signal);
      if (!done) throw new TRPCError({ code: 'CLIENT_CLOSED_REQUEST', message: 'aborted' });
      return input.value;
    }),

  fail: t.procedure
    .input((v) => {
      const o = obj(v, 'fail');
      return {
        code: typeof o.code === 'string' ? o.code : 'BAD_REQUEST',
        message: typeof o.message === 'string' ? o.message : 'failed',
      };
    })
    .query(({ input }) => {
      throw new TRPCError({ code: input.code, message: input.message });
    }),

  crash: t.procedure.query(() => {
    throw new Error('boom');
  }),

  whoami: t.procedure.query(({ ctx }) => ctx.connectionParams ?? null),

  // Auth refresh tests: UNAUTHORIZED unless this connection's
  // connectionParams.token is the current token (settings.token, 'good'
  // unless /control/set?token= changed it). secretAdd counts the runs that
  // got past the check in stats.secretMutations.
  secret: t.procedure.query(({ ctx }) => {
    authorize(ctx);
    return { token: ctx.connectionParams.token };
  }),
  secretAdd: t.procedure.mutation(({ ctx }) => {
    authorize(ctx);
    stats.secretMutations++;
    return stats.secretMutations;
  }),

  // The request header named by input.name (lower case), null when absent:
  // on HTTP the call's own request, on the WebSocket the handshake's.
  header: t.procedure
    .input((v) => String(obj(v, 'header').name ?? '').toLowerCase())
    .query(({ ctx, input }) => ctx.headers?.[input] ?? null),

  // The same as a subscription: one event with the header, then done.
  headerSub: t.procedure
    .input((v) => String(obj(v, 'headerSub').name ?? '').toLowerCase())
    .subscription(async function* ({ ctx, input }) {
      yield ctx.headers?.[input] ?? null;
    }),

  counter: t.procedure
    .input((v) => {
      const o = obj(v, 'counter');
      return keepRaw(v, { count: optNum(o, 'count', 3, 'counter'), intervalMs: optNum(o, 'intervalMs', 10, 'counter') });
    })
    .subscription(
      recordedSub('counter', async function* ({ input, signal }, st) {
        for (let i = 0; i < input.count; i++) {
          if (i > 0 && !(await sleep(input.intervalMs, signal))) return;
          if (signal?.aborted) return;
          st.last = i;
          yield i;
        }
      }),
    ),

  events: t.procedure
    .input((v) => {
      const o = obj(v, 'events');
      const out = {
        intervalMs: optNum(o, 'intervalMs', 10, 'events'),
        max: optNum(o, 'max', Infinity, 'events'),
        whoami: o.whoami === true,
      };
      if (o.lastEventId !== undefined && o.lastEventId !== null) {
        if (typeof o.lastEventId !== 'string' && typeof o.lastEventId !== 'number') {
          bad('events: lastEventId must be a string');
        }
        out.lastEventId = String(o.lastEventId);
      }
      return keepRaw(v, out);
    })
    .subscription(
      recordedSub('events', async function* ({ input, signal, ctx }, st) {
        let n = input.lastEventId !== undefined ? Number(input.lastEventId) + 1 : 1;
        if (!Number.isFinite(n)) n = 1;
        let first = true;
        while (n <= input.max) {
          if (!first && !(await sleep(input.intervalMs, signal))) return;
          first = false;
          if (signal?.aborted) return;
          st.last = String(n);
          // whoami: what this event stream's request carried (the SSE
          // client's connectionParams, as createContext parsed them).
          yield tracked(String(n), input.whoami ? { n, connectionParams: ctx.connectionParams, url: ctx.url } : { n });
          n++;
        }
      }),
    ),

  failingSub: t.procedure
    .input((v) => {
      const o = obj(v, 'failingSub');
      return keepRaw(v, { after: optNum(o, 'after', 0, 'failingSub'), intervalMs: optNum(o, 'intervalMs', 0, 'failingSub') });
    })
    .subscription(
      recordedSub('failingSub', async function* ({ input, signal }, st) {
        for (let i = 0; i < input.after; i++) {
          if (i > 0 && input.intervalMs > 0 && !(await sleep(input.intervalMs, signal))) return;
          st.last = i;
          yield i;
        }
        throw new TRPCError({ code: 'BAD_REQUEST', message: 'sub failed' });
      }),
    ),

  flood: t.procedure
    .input((v) => {
      const o = obj(v, 'flood');
      return keepRaw(v, { count: optNum(o, 'count', 1000, 'flood'), size: optNum(o, 'size', 0, 'flood') });
    })
    .subscription(
      recordedSub('flood', async function* ({ input, signal }) {
        const pad = input.size > 0 ? 'x'.repeat(input.size) : null;
        for (let i = 0; i < input.count; i++) {
          if (signal?.aborted) return;
          yield pad === null ? i : { i, pad };
        }
      }),
    ),

  // ---- chat demo pieces
  postMessage: t.procedure
    .input((v) => {
      if (!isObj(v) || typeof v.text !== 'string') bad('postMessage: input must be {text, user?}');
      if (v.user !== undefined && v.user !== null && typeof v.user !== 'string') bad('postMessage: user must be a string');
      return { text: v.text, user: v.user ?? null };
    })
    .mutation(({ input, ctx }) => {
      const msg = {
        id: String(chat.nextId++),
        text: input.text,
        user: input.user ?? ctx.connectionParams?.user ?? 'anonymous',
        at: Date.now(),
      };
      chat.messages.push(msg);
      if (chat.messages.length > 10000) chat.messages.splice(0, chat.messages.length - 5000);
      chat.emitter.emit('message', msg);
      return msg;
    }),

  onMessage: t.procedure
    .input((v) => {
      const o = obj(v, 'onMessage');
      const out = {};
      if (o.lastEventId !== undefined && o.lastEventId !== null) out.lastEventId = String(o.lastEventId);
      return keepRaw(v, out);
    })
    .subscription(
      recordedSub('onMessage', async function* ({ input, signal }, st) {
        // Listen first so nothing posted during the replay is lost.
        const live = on(chat.emitter, 'message', { signal });
        let last = input.lastEventId !== undefined ? Number(input.lastEventId) : 0;
        if (!Number.isFinite(last)) last = 0;
        for (const m of chat.messages.slice()) {
          if (Number(m.id) > last) {
            last = Number(m.id);
            st.last = m.id;
            yield tracked(m.id, m);
          }
        }
        try {
          for await (const [m] of live) {
            if (Number(m.id) <= last) continue;
            last = Number(m.id);
            st.last = m.id;
            yield tracked(m.id, m);
          }
        } catch (err) {
          if (signal?.aborted) return;
          throw err;
        }
      }),
    ),

  getCount: t.procedure.query(() => chat.counter),

  // ---- for --transformer superjson: values JSON cannot hold (without a
  // transformer richValues fails, a bigint does not serialize)
  richValues: t.procedure.query(() => ({
    at: new Date(Date.UTC(2024, 4, 1, 12, 30, 0, 250)),
    big: 9007199254740993n,
    tags: new Set(['a', 'b']),
    scores: new Map([
      ['x', 1],
      ['y', 2],
    ]),
    byDate: new Map([[new Date(0), 'epoch']]),
    missing: undefined,
    list: [undefined, 1],
    nested: { when: new Date(86400000), ids: new Set([1n, 2n]) },
  })),

  // Tracked 1..max; the first run for a key fails after event 1 with an
  // Error (INTERNAL_SERVER_ERROR, which httpSubscriptionLink reconnects
  // after), the runs after it resume and complete.
  flakySub: t.procedure
    .input((v) => {
      const o = obj(v, 'flakySub');
      const out = { key: String(o.key ?? ''), max: optNum(o, 'max', 3, 'flakySub') };
      if (o.lastEventId !== undefined && o.lastEventId !== null) out.lastEventId = String(o.lastEventId);
      return keepRaw(v, out);
    })
    .subscription(
      recordedSub('flakySub', async function* ({ input }, st) {
        let n = input.lastEventId !== undefined ? Number(input.lastEventId) + 1 : 1;
        for (; n <= input.max; n++) {
          st.last = String(n);
          yield tracked(String(n), { n, at: new Date(n * 1000) });
          if (!flaky.has(input.key)) {
            flaky.add(input.key);
            throw new Error('flaky');
          }
        }
      }),
    ),

  // The input as the procedure got it, its JavaScript types spelled out.
  describeInput: t.procedure.input((v) => v).query(({ input }) => describe(input)),

  richEvents: t.procedure
    .input((v) => {
      const o = obj(v, 'richEvents');
      const out = { max: optNum(o, 'max', 3, 'richEvents'), intervalMs: optNum(o, 'intervalMs', 0, 'richEvents') };
      if (o.lastEventId !== undefined && o.lastEventId !== null) out.lastEventId = String(o.lastEventId);
      return keepRaw(v, out);
    })
    .subscription(
      recordedSub('richEvents', async function* ({ input, signal }, st) {
        let n = input.lastEventId !== undefined ? Number(input.lastEventId) + 1 : 1;
        if (!Number.isFinite(n)) n = 1;
        for (; n <= input.max; n++) {
          if (input.intervalMs > 0 && !(await sleep(input.intervalMs, signal))) return;
          if (signal?.aborted) return;
          st.last = String(n);
          yield tracked(String(n), { n, at: new Date(n * 1000), big: BigInt(n) * 10n ** 20n, gone: undefined });
        }
      }),
    ),

  increment: t.procedure
    .input((v) => {
      const o = obj(v, 'increment');
      return { by: optNum(o, 'by', 1, 'increment') };
    })
    .mutation(({ input }) => {
      chat.counter += input.by;
      chat.emitter.emit('count', chat.counter);
      return chat.counter;
    }),
});

/** The keys flakySub has failed for. */
const flaky = new Set();


function authorize(ctx) {
  if (ctx.connectionParams?.token !== settings.token) {
    throw new TRPCError({ code: 'UNAUTHORIZED', message: 'token expired' });
  }
}

function createContext({ req, res, info }) {
  const conn = res?.__trpcwsConn ?? null;
  const connectionParams = info?.connectionParams ?? null;
  stats.connectionParams.push(connectionParams);
  if (conn) conn.log.connectionParams = connectionParams;
  if (settings.rejectParams && connectionParams?.token !== settings.token) {
    throw new TRPCError({ code: 'UNAUTHORIZED', message: 'bad token' });
  }
  // The fetch adapter's req is a Request (Headers, not a plain object).
  const headers = req?.headers instanceof Headers ? Object.fromEntries(req.headers) : (req?.headers ?? null);
  return { connectionParams, conn, url: req?.url ?? null, headers };
}

// ---------------------------------------------------------------- servers

let httpServer = null;
let wss = null;
let handler = null;
let listenPort = opts.port;
let shuttingDown = false;

function openClients() {
  return wss ? [...wss.clients] : [];
}

function recordFrame(conn, dir, data) {
  pushBounded(stats.frameLog, { conn, dir, data }, LOG_KEEP);
}

/** Registered BEFORE applyWSSHandler so it sees every connection and frame first. */
function onRawConnection(ws, req) {
  const id = nextConnId++;
  const entry = {
    id,
    url: req.url ?? '',
    generation,
    openedAt: Date.now(),
    closedAt: null,
    closeCode: null,
    closeReason: null,
    connectionParams: null,
  };
  const conn = { id, log: entry, pendingSubs: [] };
  ws.__trpcwsConn = conn;
  stats.totalConnections++;
  pushBounded(stats.connectionLog, entry, LOG_KEEP);
  log(`conn ${id} open ${req.url}`);

  // Outgoing frames: count PONG/PING, and swallow PONG while noPong is on.
  const origSend = ws.send;
  ws.send = function send(data, ...rest) {
    if (data === 'PONG') {
      if (settings.noPong) return undefined;
      stats.pongsSent++;
    } else if (data === 'PING') {
      stats.pingsSent++;
    }
    recordFrame(id, 'out', typeof data === 'string' ? data : binaryFrameText(data));
    return origSend.call(this, data, ...rest);
  };

  ws.on('message', (raw, isBinary) => {
    const s = isBinary ? binaryFrameText(raw) : raw.toString();
    if (isBinary && !s.startsWith('{') && !s.startsWith('[')) {
      pushBounded(stats.framesIn, s, FRAME_KEEP);
      recordFrame(id, 'in', s);
      return;
    }
    pushBounded(stats.framesIn, s, FRAME_KEEP);
    recordFrame(id, 'in', s);
    if (s === 'PING') {
      stats.pings++;
      return;
    }
    if (s === 'PONG') return;
    let msg;
    try {
      msg = JSON.parse(s);
    } catch {
      return;
    }
    for (const m of Array.isArray(msg) ? msg : [msg]) {
      if (!isObj(m)) continue;
      if (m.method === 'subscription.stop') {
        stats.stopFrames++;
        const i = conn.pendingSubs.findIndex((e) => e.id === m.id);
        if (i >= 0) conn.pendingSubs.splice(i, 1);
      } else if (m.method === 'subscription' && isObj(m.params)) {
        conn.pendingSubs.push({ id: m.id, path: m.params.path });
        if (conn.pendingSubs.length > 1000) conn.pendingSubs.shift();
      }
    }
  });

  ws.on('close', (code, reason) => {
    entry.closedAt = Date.now();
    entry.closeCode = code;
    entry.closeReason = reason?.toString() ?? '';
    log(`conn ${id} closed ${code}`);
  });
  ws.on('error', (err) => log(`conn ${id} error ${err?.message ?? err}`));
}

function makeServers() {
  const server = http.createServer(handleHTTP);
  server.keepAliveTimeout = 5000;
  const w = new WebSocketServer({ server });
  w.on('connection', onRawConnection); // before applyWSSHandler!
  w.on('error', (err) => log(`wss error ${err?.message ?? err}`));
  const h = applyWSSHandler({
    wss: w,
    router,
    createContext,
    ...(encoder ? { experimental_encoder: encoder } : {}),
    ...(opts.keepAlive ? { keepAlive: opts.keepAlive } : {}),
    onError({ error, path, type }) {
      log(`trpc error ${type} ${path ?? '-'} ${error.code}: ${error.message}`);
    },
  });
  return { server, w, h };
}

function listen(server, port) {
  return new Promise((resolve, reject) => {
    const onErr = (err) => {
      server.off('listening', onOk);
      reject(err);
    };
    const onOk = () => {
      server.off('error', onErr);
      resolve(server.address().port);
    };
    server.once('error', onErr);
    server.once('listening', onOk);
    server.listen(port, opts.host);
  });
}

async function startServers(port) {
  let lastErr;
  for (let attempt = 0; attempt < 50; attempt++) {
    const s = makeServers();
    try {
      const p = await listen(s.server, port);
      httpServer = s.server;
      wss = s.w;
      handler = s.h;
      httpServer.on('error', (err) => log(`http error ${err?.message ?? err}`));
      return p;
    } catch (err) {
      lastErr = err;
      s.w.close();
      if (err?.code !== 'EADDRINUSE' || port === 0) break;
      await sleep(100);
    }
  }
  throw lastErr;
}

/** Stops listening and drops every client; the http connection `keep` may still reply. */
function stopServers(keep, wsCloseCode, wsCloseReason) {
  const server = httpServer;
  const w = wss;
  httpServer = null;
  wss = null;
  handler = null;
  if (w) {
    for (const ws of w.clients) {
      if (wsCloseCode) {
        ws.close(wsCloseCode, wsCloseReason ?? '');
        setTimeout(() => ws.terminate(), 1000).unref();
      } else {
        ws.terminate();
      }
    }
    w.close();
  }
  if (server) {
    server.close();
    if (!keep) server.closeAllConnections();
  }
  return server;
}

// ---------------------------------------------------------------- HTTP

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8', // .d.ts too
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

function contentType(file) {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
  'Access-Control-Allow-Headers': '*',
};

function sendJSON(res, status, body, extra = {}) {
  const data = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(data),
    'Cache-Control': 'no-store',
    ...CORS,
    ...extra,
  });
  res.end(data);
}

function flag(v) {
  if (v === null) return undefined;
  return v === '1' || v === 'true' || v === 'on' || v === 'yes' || v === '';
}

function statsSnapshot() {
  return {
    connections: openClients().filter((ws) => ws.readyState === 1).length,
    totalConnections: stats.totalConnections,
    connectionParams: stats.connectionParams,
    connectionLog: lastN(stats.connectionLog, LOG_KEEP),
    subscriptionStarts: stats.subscriptionStarts,
    subscriptionEnds: stats.subscriptionEnds,
    framesIn: lastN(stats.framesIn, FRAME_KEEP),
    frameLog: lastN(stats.frameLog, LOG_KEEP),
    stopFrames: stats.stopFrames,
    pings: stats.pings,
    pongsSent: stats.pongsSent,
    pingsSent: stats.pingsSent,
    secretMutations: stats.secretMutations,
    messages: chat.messages.length,
    counter: chat.counter,
    settings,
    generation,
    port: listenPort,
    transformer: opts.transformer || null,
  };
}

async function handleControl(req, res, url) {
  const q = url.searchParams;
  // POST bodies may carry the same parameters as JSON or a query string.
  if (req.method === 'POST') {
    const body = await new Promise((resolve) => {
      let s = '';
      req.setEncoding('utf8');
      req.on('data', (c) => (s += c));
      req.on('end', () => resolve(s));
      req.on('error', () => resolve(s));
    });
    if (body.trim()) {
      try {
        const j = JSON.parse(body);
        if (isObj(j)) for (const [k, v] of Object.entries(j)) if (!q.has(k)) q.set(k, String(v === true ? 1 : v === false ? 0 : v));
      } catch {
        for (const [k, v] of new URLSearchParams(body)) if (!q.has(k)) q.set(k, v);
      }
    }
  }
  const what = url.pathname.slice('/control/'.length).replace(/\/+$/, '');
  switch (what) {
    case 'stats':
      return sendJSON(res, 200, statsSnapshot());
    case 'reset': {
      stats = newStats();
      settings = newSettings();
      chat.messages = [];
      chat.nextId = 1;
      chat.counter = 0;
      log('reset');
      return sendJSON(res, 200, { ok: true });
    }
    case 'drop': {
      const n = openClients().length + trpcOpen.size;
      for (const ws of openClients()) ws.terminate();
      for (const r of trpcOpen) r.socket?.destroy();
      log(`drop ${n}`);
      return sendJSON(res, 200, { ok: true, dropped: n });
    }
    case 'close': {
      const code = q.has('code') ? Number(q.get('code')) : 1000;
      const reason = q.get('reason') ?? '';
      const n = openClients().length;
      try {
        for (const ws of openClients()) ws.close(code, reason);
      } catch (err) {
        return sendJSON(res, 400, { ok: false, error: String(err?.message ?? err) });
      }
      log(`close ${n} code=${code}`);
      return sendJSON(res, 200, { ok: true, closed: n });
    }
    case 'send': {
      // Sends `frame` as it is to every open client: a text frame, or its
      // UTF-8 bytes in a binary frame with binary=1 (malformed-frame tests).
      const frame = q.get('frame') ?? '';
      const data = flag(q.get('binary')) ? Buffer.from(frame, 'utf8') : frame;
      const n = openClients().length;
      for (const ws of openClients()) ws.send(data);
      log(`send ${frame.length} chars to ${n}`);
      return sendJSON(res, 200, { ok: true, sent: n });
    }
    case 'reconnect': {
      const n = openClients().length;
      handler?.broadcastReconnectNotification();
      log(`reconnect notification to ${n}`);
      return sendJSON(res, 200, { ok: true, notified: n });
    }
    case 'set': {
      if (q.has('token')) settings.token = q.get('token');
      for (const key of Object.keys(settings)) {
        if (key === 'token') continue;
        const v = flag(q.get(key));
        if (v !== undefined) settings[key] = v;
      }
      log(`set ${JSON.stringify(settings)}`);
      return sendJSON(res, 200, { ok: true, settings });
    }
    case 'restart': {
      const downMs = q.has('downMs') ? Number(q.get('downMs')) : 500;
      if (!Number.isFinite(downMs) || downMs < 0) return sendJSON(res, 400, { ok: false, error: 'bad downMs' });
      const code = q.has('code') ? Number(q.get('code')) : 0;
      const n = openClients().length;
      // Go down first (stop listening, drop every socket) but keep this
      // request's connection so that the reply still arrives; when the
      // caller reads the reply, the server is already down.
      const old = stopServers(true, code, q.get('reason') ?? '');
      log(`restart: down for ${downMs}ms, dropped ${n}`);
      res.on('close', () => old?.closeAllConnections());
      sendJSON(res, 200, { ok: true, downMs, dropped: n, port: listenPort }, { Connection: 'close' });
      setTimeout(async () => {
        if (shuttingDown) return;
        try {
          generation++;
          await startServers(listenPort);
          log(`restart: listening again on ${listenPort} (generation ${generation})`);
        } catch (err) {
          log(`restart failed: ${err?.message ?? err}`);
          process.exit(1);
        }
      }, downMs);
      return;
    }
    case 'health':
    case '':
      return sendJSON(res, 200, { ok: true, port: listenPort, generation });
    default:
      return sendJSON(res, 404, { ok: false, error: `unknown control ${what}` });
  }
}

function serveStatic(req, res, url) {
  let rel;
  try {
    rel = decodeURIComponent(url.pathname);
  } catch {
    res.writeHead(400).end('bad path');
    return;
  }
  const root = opts.static;
  let file = path.resolve(root, '.' + path.posix.normalize('/' + rel));
  if (file !== root && !file.startsWith(root + path.sep)) {
    res.writeHead(403, CORS).end('forbidden');
    return;
  }
  fs.stat(file, (err, st) => {
    if (!err && st.isDirectory()) {
      file = path.join(file, 'index.html');
      return fs.stat(file, (err2, st2) => send(err2, st2));
    }
    send(err, st);
  });
  function send(err, st) {
    if (err || !st.isFile()) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', ...CORS }).end('not found');
      return;
    }
    res.writeHead(200, {
      'Content-Type': contentType(file),
      'Content-Length': st.size,
      // Revalidated on every use, but not no-store: Chromium keeps no page
      // served with no-store in the back/forward cache (e2e/bfcache-chromium.mjs).
      'Cache-Control': 'no-cache',
      ...CORS,
    });
    if (req.method === 'HEAD') return res.end();
    fs.createReadStream(file).pipe(res);
  }
}

// tRPC over plain HTTP (httpBatchLink, httpSubscriptionLink) under /trpc/:
// @trpc/server's standalone adapter, on the same port as the WebSocket.
const trpcHTTP = createHTTPHandler({
  router,
  basePath: '/trpc/',
  createContext,
  onError({ error, path, type }) {
    log(`trpc http error ${type} ${path ?? '-'} ${error.code}: ${error.message}`);
  },
});

// The same router under /fetch/ through @trpc/server's fetch adapter
// (fetchRequestHandler, as edge runtimes and Next.js route handlers use it),
// bridged from node:http: the IncomingMessage becomes a Request (its body a
// web stream, aborted when the response closes) and the Response's status,
// headers and body stream are written back chunk by chunk as they come.
async function trpcFetch(req, res) {
  const ac = new AbortController();
  res.on('close', () => ac.abort());
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    for (const one of Array.isArray(v) ? v : [v]) if (one !== undefined) headers.append(k, one);
  }
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  const request = new Request(`http://${req.headers.host ?? '127.0.0.1'}${req.url}`, {
    method: req.method,
    headers,
    signal: ac.signal,
    ...(hasBody ? { body: Readable.toWeb(req), duplex: 'half' } : {}),
  });
  const response = await fetchRequestHandler({
    endpoint: '/fetch',
    req: request,
    router,
    createContext,
    onError({ error, path, type }) {
      log(`trpc fetch error ${type} ${path ?? '-'} ${error.code}: ${error.message}`);
    },
  });
  const out = {};
  for (const [k, v] of response.headers) out[k] = v;
  res.writeHead(response.status, out);
  if (!response.body) return res.end();
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) break;
      if (!res.write(value)) await new Promise((r) => res.once('drain', r).once('close', r));
    }
  } catch (err) {
    log(`trpc fetch body ${err?.message ?? err}`);
  } finally {
    reader.cancel().catch(() => {});
    res.end();
  }
}

// The open /trpc/ and /fetch/ responses (SSE streams among them), which /control/drop cuts.
const trpcOpen = new Set();

function handleHTTP(req, res) {
  const url = new URL(req.url ?? '/', 'http://x');
  if (req.method === 'OPTIONS') {
    res.writeHead(204, { ...CORS, 'Access-Control-Max-Age': '600' }).end();
    return;
  }
  if (url.pathname === '/control' || url.pathname.startsWith('/control/')) {
    handleControl(req, res, url).catch((err) => {
      log(`control error ${err?.stack ?? err}`);
      if (!res.headersSent) sendJSON(res, 500, { ok: false, error: String(err?.message ?? err) });
    });
    return;
  }
  if (url.pathname.startsWith('/trpc/')) {
    trpcOpen.add(res);
    res.on('close', () => trpcOpen.delete(res));
    trpcHTTP(req, res);
    return;
  }
  if (url.pathname.startsWith('/fetch/')) {
    trpcOpen.add(res);
    res.on('close', () => trpcOpen.delete(res));
    trpcFetch(req, res).catch((err) => {
      log(`trpc fetch ${err?.stack ?? err}`);
      if (!res.headersSent) sendJSON(res, 500, { ok: false, error: String(err?.message ?? err) });
      else res.destroy();
    });
    return;
  }
  if (opts.static && (req.method === 'GET' || req.method === 'HEAD')) {
    serveStatic(req, res, url);
    return;
  }
  res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', ...CORS });
  res.end('trpcws test server: WebSocket on any path, controls under /control/\n');
}

// ---------------------------------------------------------------- lifecycle

function shutdown(why) {
  if (shuttingDown) return;
  shuttingDown = true;
  log(`shutting down (${why})`);
  stopServers(false);
  // Nothing left worth waiting for: exit promptly.
  setImmediate(() => process.exit(0));
}

process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGHUP', () => shutdown('SIGHUP'));

// Exit when the parent's end of a stdin pipe closes, so that a killed test
// never leaves the server behind. Only for pipes/sockets: a terminal or
// /dev/null stdin (shell background jobs, CI) is left alone.
if (!opts.ignoreStdin) {
  let watch = false;
  try {
    const st = fs.fstatSync(0);
    watch = st.isFIFO() || st.isSocket();
  } catch {
    watch = false;
  }
  if (watch) {
    process.stdin.on('end', () => shutdown('stdin closed'));
    process.stdin.on('close', () => shutdown('stdin closed'));
    process.stdin.on('error', () => shutdown('stdin error'));
    process.stdin.on('data', () => {});
    process.stdin.resume();
  }
}

process.on('uncaughtException', (err) => {
  log(`uncaught: ${err?.stack ?? err}`);
});
process.on('unhandledRejection', (err) => {
  log(`unhandled rejection: ${err?.stack ?? err}`);
});

try {
  listenPort = await startServers(opts.port);
} catch (err) {
  process.stderr.write(`server.mjs: listen failed: ${err?.message ?? err}\n`);
  process.exit(1);
}
process.stdout.write(`LISTENING ${listenPort}\n`);
log(
  `listening on ${opts.host}:${listenPort}` +
    (opts.transformer ? ` transformer=${opts.transformer}` : '') +
    (opts.static ? ` static=${opts.static}` : '') +
    (opts.keepAlive ? ` keepAlive=${opts.keepAlive.pingMs},${opts.keepAlive.pongWaitMs}` : ''),
);
