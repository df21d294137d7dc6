// The wasm client's side of the fault soak (driven by soak_test.go in this
// folder): a tracked subscription and a stream of queries through the
// chaos proxy at argv[2], until a line "stop" arrives on stdin; then it
// checks that the client is connected again and that the subscription
// resumed, prints one JSON line with the figures, and exits.
import { createTRPCWebSocket } from '../../web/index.js';

const url = process.argv[2];
const client = createTRPCWebSocket({
  url,
  retryDelayMs: (attempt) => Math.min(attempt + 1, 10) * 20,
  keepAlive: { enabled: true, intervalMs: 400, pongTimeoutMs: 400 },
  // A handshake the proxy leaves half open never completes and never fails:
  // without a connect timeout (none by default, as in the reference) the
  // client would wait for it for good. Keep-alive covers open sockets only.
  connectTimeoutMs: 2000,
  onOpen: () => opened++,
});
let opened = 0;
let opId = 0;
const request = (type, path, input, observer, signal = null) =>
  client.request({ op: { id: ++opId, type, path, input, context: {}, signal } }).subscribe(observer);

const out = { events: 0, lost: 0, duplicated: 0, last: 0, ok: 0, closed: 0, timedOut: 0, bad: [], subErrors: [] };

request('subscription', 'events', { intervalMs: 5 }, {
  next(env) {
    if (env.result.type !== 'data') return;
    const n = Number(env.result.id);
    if (!Number.isInteger(n)) out.bad.push(`event id ${env.result.id}`);
    else if (n <= out.last) out.duplicated++;
    else if (n > out.last + 1) out.lost += n - out.last - 1;
    out.last = Math.max(out.last, n);
    out.events++;
  },
  error(err) {
    out.subErrors.push(String(err?.message ?? err));
  },
});

const typed = (err) => err?.name === 'TRPCClientError';

function query(value, ms) {
  return new Promise((resolve) => {
    let got = false;
    request('query', 'echo', value, {
      next(env) {
        got = true;
        resolve(env.result.data === value ? 'ok' : `answered ${JSON.stringify(env.result.data)}`);
      },
      error(err) {
        got = true;
        resolve(typed(err) ? 'closed' : `untyped error ${err?.stack ?? err}`);
      },
      complete() {
        if (!got) resolve('timedOut'); // aborted by the signal
      },
    }, AbortSignal.timeout(ms));
  });
}

let stopping = false;

// For hunting leaks: with TRPCWS_SOAK_HEAP=dir, Node's heap after a forced
// GC is appended to dir/heap.log every 5 s (seconds, heapUsed, external,
// rss in MB), and TRPCWS_SOAK_SNAPSHOTS=s1,s2 writes heap snapshots
// dir/soak-<s>.heapsnapshot at those seconds (compare them by constructor).
const heapDir = process.env.TRPCWS_SOAK_HEAP;
if (heapDir) {
  const { appendFileSync } = await import('node:fs');
  const { writeHeapSnapshot } = await import('node:v8');
  const t0 = Date.now();
  const mb = (n) => (n / 1048576).toFixed(1);
  setInterval(() => {
    globalThis.gc();
    const m = process.memoryUsage();
    appendFileSync(`${heapDir}/heap.log`, `${Math.round((Date.now() - t0) / 1000)} ${mb(m.heapUsed)} ${mb(m.external)} ${mb(m.rss)}\n`);
  }, 5000).unref();
  for (const s of (process.env.TRPCWS_SOAK_SNAPSHOTS ?? '').split(',').filter(Boolean).map(Number)) {
    setTimeout(() => {
      globalThis.gc();
      writeHeapSnapshot(`${heapDir}/soak-${s}.heapsnapshot`);
    }, s * 1000).unref();
  }
}
process.stdin.setEncoding('utf8');
process.stdin.on('data', (s) => {
  if (s.includes('stop')) stopping = true;
});

async function worker(w) {
  for (let i = 0; !stopping; i++) {
    const v = `${w}-${i}`;
    const r = await query(v, 3000);
    if (r === 'ok' || r === 'closed' || r === 'timedOut') out[r]++;
    else if (out.bad.length < 20) out.bad.push(`${v}: ${r}`);
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
await Promise.all([worker(0), worker(1)]);

// The faults have stopped: connected again within 30 s, and new events.
let healthy = false;
for (const t0 = Date.now(); Date.now() - t0 < 30000; ) {
  if ((await query('health', 2000)) === 'ok' && client.connectionState.get().state === 'pending') {
    healthy = true;
    break;
  }
}
const target = out.last + 20;
for (const t0 = Date.now(); out.last < target && Date.now() - t0 < 30000; ) await sleep(20);
out.healthy = healthy;
out.resumed = out.last >= target;
out.opened = opened;
globalThis.gc?.(); // node --expose-gc: the figure is what stays, not garbage
out.memory = process.memoryUsage();
await client.close();
console.log(JSON.stringify(out));
process.exit(0);
