// One JavaScript client kind, one mode, one process (started by
// bench/run.mjs, so that process.cpuUsage() and the memory numbers are the
// kind's own). Prints one JSON line on stdout.
//
//   node --experimental-websocket --expose-gc --no-warnings bench/clients.mjs KIND MODE CONFIG_JSON
//
// KIND:
//   js-floor     the wire protocol by hand on the host WebSocket (Node 20's
//                global, undici; the one the wasm client and the reference use)
//   js-floor-ws  the same loop on the npm `ws` package
//   reference    @trpc/client 11.25.2: createWSClient + wsLink + createTRPCClient
//   wasm-link    web/index.js: createTRPCWebSocket + its wsLink + createTRPCClient
//   wasm-direct  web/index.js: createTRPCWebSocket().request(...) without links
//   minimal-link createTRPCClient over the smallest terminating link (minimal-link.mjs):
//                one frame per operation on a bare host WebSocket, the limit for any link
//   hello        (startup only) a bare Go wasm hello built like web/trpcws.wasm
//   wasm         (startup only) import web/index.js, then init()
//   wasm-bare    (startup only) web/trpcws.wasm loaded by hand like hello
//   peer         (startup only) import('@trpc/client'), which init() awaits
// MODE: main (sequential, in flight, floods) | mem (live subscriptions) | startup
// web/ is this checkout's web package, or the one in BENCH_WEB (webdir.mjs).
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { webDir } from './webdir.mjs';

const T0 = performance.now();
const [kind, mode, cfgJSON] = process.argv.slice(2);
const cfg = {
  url: '',
  seqMs: 1500,
  tputMs: 1500,
  warmMs: 250,
  coldMs: 2000,
  inflight: 100,
  floods: [{ count: 40000, size: 0 }],
  subs: 10000,
  helloWasm: '',
  serverPid: 0,
  clkTck: 100,
  ...JSON.parse(cfgJSON || '{}'),
};
const webIndex = new URL('index.js', webDir).href;

const cpu = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
/** The test server's CPU time in µs (from /proc), to tell who is the bottleneck. */
function serverCpu() {
  if (!cfg.serverPid) return NaN;
  try {
    const s = readFileSync(`/proc/${cfg.serverPid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1e6) / cfg.clkTck;
  } catch {
    return NaN;
  }
}
function gc() {
  if (typeof globalThis.gc === 'function') {
    globalThis.gc();
    globalThis.gc();
  }
}
function mem() {
  gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed + m.external };
}
const round = (x, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

// ------------------------------------------------------------ bare loops

/** The floor: the wire protocol spoken by hand, one frame per request. */
class Floor {
  constructor(ws, usesOn) {
    this.ws = ws;
    this.id = 0;
    this.pending = new Map(); // id → {resolve, reject}
    this.subs = new Map(); // id → (message) => void
    const onText = (text) => {
      const m = JSON.parse(text);
      const p = this.pending.get(m.id);
      if (p) {
        this.pending.delete(m.id);
        if (m.error) p.reject(new Error(m.error.message));
        else p.resolve(m.result.data);
        return;
      }
      this.subs.get(m.id)?.(m);
    };
    if (usesOn) ws.on('message', (data) => onText(data.toString()));
    else ws.onmessage = (ev) => onText(ev.data);
  }

  static async open(url, WS, usesOn) {
    const ws = new WS(url);
    ws.binaryType = 'arraybuffer';
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = (e) => reject(new Error(`connect failed: ${e?.message ?? e}`));
    });
    return new Floor(ws, usesOn);
  }

  query() {
    const id = ++this.id;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(`{"id":${id},"method":"query","params":{"input":1,"path":"echo"}}`);
    });
  }

  subscribe(path, input, onMessage) {
    const id = ++this.id;
    this.subs.set(id, onMessage);
    this.ws.send(`{"id":${id},"method":"subscription","params":{"input":${JSON.stringify(input)},"path":"${path}"}}`);
    return id;
  }

  flood(count, size) {
    return new Promise((resolve, reject) => {
      let n = 0;
      const id = this.subscribe('flood', { count, size }, (m) => {
        if (m.error) {
          this.subs.delete(id);
          reject(new Error(m.error.message));
        } else if (m.result.type === 'data') n++;
        else if (m.result.type === 'stopped') {
          this.subs.delete(id);
          resolve(n);
        }
      });
    });
  }

  liveSubs(count) {
    return new Promise((resolve, reject) => {
      let left = count;
      for (let i = 0; i < count; i++) {
        const state = { first: true, n: 0 };
        this.subscribe('events', { intervalMs: 600000 }, (m) => {
          if (m.error) reject(new Error(m.error.message));
          else if (m.result.type === 'data') {
            state.n++;
            if (state.first) {
              state.first = false;
              if (--left === 0) resolve();
            }
          }
        });
      }
    });
  }

  close() {
    this.ws.close();
  }
}

// ------------------------------------------------------------ tRPC clients

/** A client made with createTRPCClient over some wsLink. */
class Linked {
  constructor(client, closer) {
    this.client = client;
    this.closer = closer;
  }

  query() {
    return this.client.echo.query(1);
  }

  flood(count, size) {
    return new Promise((resolve, reject) => {
      let n = 0;
      this.client.flood.subscribe(
        { count, size },
        {
          onData() {
            n++;
          },
          onError: reject,
          onComplete() {
            resolve(n);
          },
        },
      );
    });
  }

  liveSubs(count) {
    return new Promise((resolve, reject) => {
      let left = count;
      this.keep = [];
      for (let i = 0; i < count; i++) {
        let first = true;
        this.keep.push(
          this.client.events.subscribe(
            { intervalMs: 600000 },
            {
              onData() {
                if (first) {
                  first = false;
                  if (--left === 0) resolve();
                }
              },
              onError: reject,
            },
          ),
        );
      }
    });
  }

  close() {
    return this.closer();
  }
}

/** Our wasm client's request(): the observable wsLink wraps, without links. */
class Direct {
  constructor(wsc) {
    this.wsc = wsc;
    this.opId = 0;
  }

  request(type, path, input, observer) {
    return this.wsc
      .request({ op: { id: ++this.opId, type, path, input, context: {}, signal: null } })
      .subscribe(observer);
  }

  query() {
    return new Promise((resolve, reject) => {
      this.request('query', 'echo', 1, {
        next(env) {
          resolve(env.result.data);
        },
        error: reject,
      });
    });
  }

  flood(count, size) {
    return new Promise((resolve, reject) => {
      let n = 0;
      this.request(
        'subscription',
        'flood',
        { count, size },
        {
          next(env) {
            if (env.result.type === 'data') n++;
          },
          error: reject,
          complete() {
            resolve(n);
          },
        },
      );
    });
  }

  liveSubs(count) {
    return new Promise((resolve, reject) => {
      let left = count;
      this.keep = [];
      for (let i = 0; i < count; i++) {
        let first = true;
        this.keep.push(
          this.request(
            'subscription',
            'events',
            { intervalMs: 600000 },
            {
              next(env) {
                if (first && env.result.type === 'data') {
                  first = false;
                  if (--left === 0) resolve();
                }
              },
              error: reject,
            },
          ),
        );
      }
    });
  }

  close() {
    return this.wsc.close();
  }
}

/** Creates the kind's client; resolves once it answered one query. */
async function makeClient() {
  const t = performance.now();
  const info = {};
  let d;
  switch (kind) {
    case 'js-floor':
      if (typeof globalThis.WebSocket !== 'function') throw new Error('no global WebSocket: run node with --experimental-websocket');
      d = await Floor.open(cfg.url, globalThis.WebSocket, false);
      break;
    case 'js-floor-ws': {
      const { WebSocket } = await import('ws');
      info.import_ms = performance.now() - t;
      d = await Floor.open(cfg.url, WebSocket, true);
      break;
    }
    case 'reference': {
      const { createTRPCClient, createWSClient, wsLink } = await import('@trpc/client');
      info.import_ms = performance.now() - t;
      const wsClient = createWSClient({ url: cfg.url });
      d = new Linked(createTRPCClient({ links: [wsLink({ client: wsClient })] }), () => wsClient.close());
      break;
    }
    case 'minimal-link': {
      if (typeof globalThis.WebSocket !== 'function') throw new Error('no global WebSocket: run node with --experimental-websocket');
      const { createTRPCClient } = await import('@trpc/client');
      const { minimalLink, openSocket } = await import('./minimal-link.mjs');
      info.import_ms = performance.now() - t;
      const ws = await openSocket(cfg.url);
      d = new Linked(createTRPCClient({ links: [minimalLink(ws)] }), () => ws.close());
      break;
    }
    case 'wasm-link':
    case 'wasm-direct': {
      const m = await import(webIndex);
      const { createTRPCClient } = await import('@trpc/client');
      const ti = performance.now();
      info.import_ms = ti - t;
      await m.init();
      info.init_ms = performance.now() - ti;
      const wsc = m.createTRPCWebSocket({ url: cfg.url });
      d =
        kind === 'wasm-link'
          ? new Linked(createTRPCClient({ links: [m.wsLink({ client: wsc })] }), () => wsc.close())
          : new Direct(wsc);
      break;
    }
    default:
      throw new Error(`unknown kind ${kind}`);
  }
  await d.query();
  info.connect_ms = performance.now() - t;
  return { d, info };
}

// ------------------------------------------------------------ modes

/**
 * Loads a Go wasm file the way web/index.js does (read, compile,
 * instantiate, go.run) and times each phase; ready() says when main has
 * got far enough.
 */
async function loadGo(file, argv, ready) {
  const t0 = performance.now();
  const bytes = await readFile(file);
  const t1 = performance.now();
  const module = await WebAssembly.compile(bytes);
  const t2 = performance.now();
  const go = new globalThis.Go();
  go.argv = argv;
  go.env = {};
  const instance = await WebAssembly.instantiate(module, go.importObject);
  const t3 = performance.now();
  go.run(instance);
  await ready();
  const t4 = performance.now();
  return { read_ms: t1 - t0, compile_ms: t2 - t1, instantiate_ms: t3 - t2, run_ms: t4 - t3, init_ms: t4 - t0 };
}

async function startup() {
  const out = { process_ms: T0 };
  const t = performance.now();
  if (kind === 'hello') {
    // the floor: the smallest Go wasm program, built like web/trpcws.wasm
    await import('./.build/wasm_exec.js');
    out.import_ms = performance.now() - t;
    const readyP = new Promise((resolve) => {
      globalThis.__benchHelloReady = resolve;
    });
    Object.assign(out, await loadGo(fileURLToPath(new URL(cfg.helloWasm, import.meta.url)), ['hello'], () => readyP));
  } else if (kind === 'wasm-bare') {
    // web/trpcws.wasm loaded by hand like hello: the Go part of init()
    await import(new URL('wasm_exec.js', webDir).href);
    out.import_ms = performance.now() - t;
    // main has run jsbridge.Start and blocks in select{} when go.run returns
    Object.assign(out, await loadGo(fileURLToPath(new URL('trpcws.wasm', webDir)), ['trpcws'], async () => {}));
  } else if (kind === 'wasm') {
    // what a user pays: import web/index.js, then init()
    const m = await import(webIndex);
    const ti = performance.now();
    out.import_ms = ti - t;
    await m.init();
    out.init_ms = performance.now() - ti;
  } else if (kind === 'peer') {
    // the import('@trpc/client') that init() also waits for (from web/)
    await import(new URL('node_modules/@trpc/client/dist/index.mjs', webDir).href);
    out.init_ms = performance.now() - t;
  } else {
    throw new Error(`startup: unknown kind ${kind}`);
  }
  out.total_ms = performance.now() - t;
  return out;
}

async function timedSeq(d, ms) {
  const c0 = cpu();
  const t = performance.now();
  let n = 0;
  while (performance.now() - t < ms) {
    await d.query();
    n++;
  }
  const el = performance.now() - t;
  return { n, el, cpu: cpu() - c0 };
}

async function timedInflight(d, ms, inflight) {
  const s0 = serverCpu();
  const c0 = cpu();
  const t = performance.now();
  const deadline = t + ms;
  let n = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      await d.query();
      n++;
    }
  };
  await Promise.all(Array.from({ length: inflight }, worker));
  const el = performance.now() - t;
  return { n, el, cpu: cpu() - c0, server: serverCpu() - s0 };
}

async function main() {
  const { d, info } = await makeClient();
  const out = { ...info };

  // The first seconds: JIT, and for wasm V8's tier-up of the Go code
  // (Liftoff → TurboFan), which takes ~1–2 s here. Recorded as "cold".
  let r = await timedSeq(d, cfg.coldMs);
  out.cold = { ops: r.n, ms: round(r.el), us_per_op: round((r.el * 1000) / r.n), cpu_us_per_op: round(r.cpu / r.n) };
  r = await timedSeq(d, cfg.seqMs);
  out.seq = { ops: r.n, ms: round(r.el), us_per_op: round((r.el * 1000) / r.n), cpu_us_per_op: round(r.cpu / r.n) };

  await timedInflight(d, cfg.warmMs, cfg.inflight);
  r = await timedInflight(d, cfg.tputMs, cfg.inflight);
  out.tput = {
    ops: r.n,
    ms: round(r.el),
    qps: round((r.n * 1000) / r.el),
    cpu_us_per_op: round(r.cpu / r.n),
    client_util: round(r.cpu / (r.el * 1000)),
    server_util: round(r.server / (r.el * 1000)),
  };

  out.floods = [];
  for (const { count, size } of cfg.floods) {
    await d.flood(Math.min(Math.floor(count / 10), 2000), size);
    const s0 = serverCpu();
    const c0 = cpu();
    const t = performance.now();
    const got = await d.flood(count, size);
    const el = performance.now() - t;
    const used = cpu() - c0;
    const server = serverCpu() - s0;
    if (got !== count) throw new Error(`flood ${count}:${size} delivered ${got}`);
    out.floods.push({
      count,
      size,
      ms: round(el),
      msgs_per_s: round((got * 1000) / el),
      cpu_us_per_msg: round(used / got),
      client_util: round(used / (el * 1000)),
      server_util: round(server / (el * 1000)),
    });
  }
  await Promise.race([d.close(), new Promise((r) => setTimeout(r, 2000))]);
  return out;
}

async function memory() {
  const { d, info } = await makeClient();
  // warm up the query and subscription paths (JIT, wasm tier-up), so that
  // compiled code does not count as subscription memory
  await timedSeq(d, cfg.coldMs);
  await d.flood(2000, 0);
  const before = mem();
  const t = performance.now();
  await d.liveSubs(cfg.subs);
  const live = performance.now() - t;
  const after = mem();
  return {
    ...info,
    mem: {
      subs: cfg.subs,
      live_ms: round(live),
      rss_delta: after.rss - before.rss,
      heap_delta: after.heap - before.heap,
      rss_per_sub: round((after.rss - before.rss) / cfg.subs, 1),
    },
  };
}

try {
  const out = mode === 'startup' ? await startup() : mode === 'mem' ? await memory() : await main();
  process.stdout.write(JSON.stringify({ kind, mode, ...out }) + '\n');
  // Live subscriptions and sockets would keep the process alive.
  process.exit(0);
} catch (err) {
  process.stderr.write(`clients.mjs ${kind} ${mode}: ${err?.stack ?? err}\n`);
  process.exit(1);
}
