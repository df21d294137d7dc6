// Client-side overhead without a network or a server: every JavaScript
// client kind talks to an in-process fake WebSocket that answers `echo`
// queries and `flood` subscriptions itself (one macrotask per answer, as
// frames arriving from a socket would). What is left is the client's own
// CPU per operation, which a busy shared machine disturbs far less than
// round-trip latency through a real server. Diagnostic; bench/run.mjs can
// include it (mode `overhead`), or run it alone:
//
//   node --no-warnings bench/overhead.mjs KIND [--n 5000] [--warm 1500] [--wasm FILE]
//
// KIND: js-floor, reference, reference-direct (createWSClient().request()
// without createTRPCClient), minimal-link, wasm-link, wasm-direct. --wasm loads another
// build of web/trpcws.wasm, e.g. an unstripped one whose Go function names
// show up in `node --cpu-prof`. BENCH_WEB=dir loads another web package (webdir.mjs).
import { webDir } from './webdir.mjs';

const MessageEventCtor = globalThis.MessageEvent;
const webIndex = new URL('index.js', webDir).href;

/** A WebSocket-shaped object whose "server" lives in this process. */
class FakeWebSocket extends EventTarget {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;
  CONNECTING = 0;
  OPEN = 1;
  CLOSING = 2;
  CLOSED = 3;

  constructor(url) {
    super();
    this.url = String(url);
    this.readyState = 0;
    this.binaryType = 'blob';
    this.protocol = '';
    this.extensions = '';
    this.bufferedAmount = 0;
    setImmediate(() => {
      this.readyState = 1;
      this.#emit(new Event('open'));
    });
  }

  #emit(ev) {
    const handler = this[`on${ev.type}`];
    if (typeof handler === 'function') handler.call(this, ev);
    this.dispatchEvent(ev);
  }

  #reply(text) {
    setImmediate(() => {
      if (this.readyState === 1) this.#emit(new MessageEventCtor('message', { data: text }));
    });
  }

  send(text) {
    if (this.readyState !== 1) throw new Error('not open');
    if (text === 'PING') return this.#reply('PONG');
    const parsed = JSON.parse(text);
    for (const m of Array.isArray(parsed) ? parsed : [parsed]) this.#handle(m);
  }

  #handle(m) {
    if (m.method === 'query' || m.method === 'mutation') {
      this.#reply(JSON.stringify({ id: m.id, result: { type: 'data', data: m.params.input } }));
    } else if (m.method === 'subscription') {
      const { count = 1000, size = 0 } = m.params.input ?? {};
      const pad = size > 0 ? 'x'.repeat(size) : null;
      const frames = [JSON.stringify({ id: m.id, result: { type: 'started' } })];
      for (let i = 0; i < count; i++) frames.push(JSON.stringify({ id: m.id, result: { type: 'data', data: pad === null ? i : { i, pad } } }));
      frames.push(JSON.stringify({ id: m.id, result: { type: 'stopped' } }));
      // as a socket read delivers several frames per task
      let i = 0;
      const pump = () => {
        for (let k = 0; k < 64 && i < frames.length && this.readyState === 1; k++) {
          this.#emit(new MessageEventCtor('message', { data: frames[i++] }));
        }
        if (i < frames.length && this.readyState === 1) setImmediate(pump);
      };
      setImmediate(pump);
    }
  }

  close(code = 1000, reason = '') {
    if (this.readyState >= 2) return;
    this.readyState = 2;
    setImmediate(() => {
      this.readyState = 3;
      const ev = new Event('close');
      Object.assign(ev, { code, reason, wasClean: true });
      this.#emit(ev);
    });
  }
}

const cpu = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/** The floor on the fake socket: the wire protocol by hand. */
function floorClient(url) {
  const ws = new FakeWebSocket(url);
  let id = 0;
  const pending = new Map();
  const subs = new Map();
  ws.onmessage = (ev) => {
    const m = JSON.parse(ev.data);
    const p = pending.get(m.id);
    if (p) {
      pending.delete(m.id);
      p(m.result.data);
    } else subs.get(m.id)?.(m);
  };
  const opened = new Promise((r) => ws.addEventListener('open', r, { once: true }));
  return {
    ready: opened,
    query: () =>
      new Promise((resolve) => {
        const i = ++id;
        pending.set(i, resolve);
        ws.send(`{"id":${i},"method":"query","params":{"input":1,"path":"echo"}}`);
      }),
    flood: (count, size) =>
      new Promise((resolve) => {
        const i = ++id;
        let n = 0;
        subs.set(i, (m) => {
          if (m.result.type === 'data') n++;
          else if (m.result.type === 'stopped') resolve(n);
        });
        ws.send(`{"id":${i},"method":"subscription","params":{"input":{"count":${count},"size":${size}},"path":"flood"}}`);
      }),
  };
}

function linked(client) {
  return {
    ready: client.echo.query(1),
    query: () => client.echo.query(1),
    flood: (count, size) =>
      new Promise((resolve, reject) => {
        let n = 0;
        client.flood.subscribe({ count, size }, { onData: () => n++, onError: reject, onComplete: () => resolve(n) });
      }),
  };
}

function direct(wsc) {
  let opId = 0;
  const req = (type, path, input, observer) =>
    wsc.request({ op: { id: ++opId, type, path, input, context: {}, signal: null } }).subscribe(observer);
  const query = () => new Promise((resolve, reject) => req('query', 'echo', 1, { next: (e) => resolve(e.result.data), error: reject }));
  return {
    ready: query(),
    query,
    flood: (count, size) =>
      new Promise((resolve, reject) => {
        let n = 0;
        req('subscription', 'flood', { count, size }, { next: (e) => e.result.type === 'data' && n++, error: reject, complete: () => resolve(n) });
      }),
  };
}

export async function make(kind) {
  const url = 'ws://fake.invalid/';
  switch (kind) {
    case 'js-floor':
      return floorClient(url);
    case 'reference': {
      const { createTRPCClient, createWSClient, wsLink } = await import('@trpc/client');
      return linked(createTRPCClient({ links: [wsLink({ client: createWSClient({ url, WebSocket: FakeWebSocket }) })] }));
    }
    case 'reference-direct': {
      // the reference's createWSClient().request(), without createTRPCClient
      const { createWSClient } = await import('@trpc/client');
      const wsc = createWSClient({ url, WebSocket: FakeWebSocket });
      const identity = (x) => x;
      const transformer = { input: { serialize: identity, deserialize: identity }, output: { serialize: identity, deserialize: identity } };
      return direct({ request: (o) => wsc.request({ ...o, transformer }) });
    }
    case 'minimal-link': {
      const { createTRPCClient } = await import('@trpc/client');
      const { minimalLink, openSocket } = await import('./minimal-link.mjs');
      return linked(createTRPCClient({ links: [minimalLink(await openSocket(url, FakeWebSocket))] }));
    }
    case 'wasm-link':
    case 'wasm-direct': {
      const m = await import(webIndex);
      await m.init();
      const wsc = m.createTRPCWebSocket({ url, WebSocket: FakeWebSocket });
      if (kind === 'wasm-direct') return direct(wsc);
      const { createTRPCClient } = await import('@trpc/client');
      return linked(createTRPCClient({ links: [m.wsLink({ client: wsc })] }));
    }
    default:
      throw new Error(`unknown kind ${kind}`);
  }
}

/**
 * CPU µs per operation of each phase. A warm-up of warmMs (100 queries in
 * flight) comes first: JIT, and V8's tier-up of the Go wasm code.
 */
export async function overhead(kind, n = 5000, warmMs = 1500, seqMs = 500) {
  const c = await make(kind);
  await c.ready;
  const out = { kind };
  const inflight = async (k, ms = Infinity) => {
    let left = k;
    let done = 0;
    const end = performance.now() + ms;
    const worker = async () => {
      while (left-- > 0 && performance.now() < end) {
        await c.query();
        done++;
      }
    };
    await Promise.all(Array.from({ length: 100 }, worker));
    return done;
  };
  await inflight(Infinity, warmMs);
  await c.flood(2000, 0);
  await c.flood(500, 1024);

  let c0 = cpu();
  let t = performance.now();
  let k = 0;
  while (performance.now() - t < seqMs) {
    await c.query();
    k++;
  }
  out.seq_cpu_us = (cpu() - c0) / k;
  out.seq_wall_us = ((performance.now() - t) * 1000) / k;

  c0 = cpu();
  k = await inflight(n * 2);
  out.inflight_cpu_us = (cpu() - c0) / k;

  for (const size of [0, 1024]) {
    const count = size ? n * 4 : n * 10;
    c0 = cpu();
    const got = await c.flood(count, size);
    if (got !== count) throw new Error(`${kind}: flood delivered ${got} of ${count}`);
    out[`flood${size}_cpu_us`] = (cpu() - c0) / count;
  }
  return out;
}

const isMain = import.meta.url === `file://${process.argv[1]}`;
if (isMain) {
  const args = process.argv.slice(2);
  const opt = (name, def) => {
    const i = args.indexOf(name);
    if (i < 0) return def;
    const v = Number(args[i + 1]);
    args.splice(i, 2);
    return v;
  };
  const n = opt('--n', 5000);
  const warmMs = opt('--warm', 1500);
  const wi = args.indexOf('--wasm');
  if (wi >= 0) {
    // another build of the client, e.g. one with Go function names for --cpu-prof
    const { readFile } = await import('node:fs/promises');
    const m = await import(webIndex);
    await m.init(await readFile(args[wi + 1]));
    args.splice(wi, 2);
  }
  const kind = args[0];
  if (kind) {
    // one kind, one process: print JSON for bench/run.mjs
    try {
      process.stdout.write(JSON.stringify(await overhead(kind, n, warmMs)) + '\n');
      process.exit(0);
    } catch (err) {
      process.stderr.write(`overhead.mjs ${kind}: ${err?.stack ?? err}\n`);
      process.exit(1);
    }
  }
  process.stderr.write('usage: node --expose-gc bench/overhead.mjs KIND [--n N] [--warm MS] [--wasm FILE]  (KIND: js-floor reference reference-direct minimal-link wasm-link wasm-direct)\n');
  process.exit(2);
}
