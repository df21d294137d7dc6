// One measure alone, for a paired before/after: 100 queries in flight through
// createTRPCClient + a web package's wsLink against a running test server,
// with the socket's outbound frames counted (queries per frame is what the
// client's batching gives at that pace). Prints one JSON line.
//
//   node --experimental-websocket bench/inflight.mjs WEB_DIR ws://127.0.0.1:PORT [ms]
//
// Run it alternately on two web packages (ABBA) against one
// `node testserver/server.mjs --port 0` (docs/performance.md has a run).
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [webDir, url, msArg] = process.argv.slice(2);
if (!webDir || !url) throw new Error('usage: inflight.mjs WEB_DIR WS_URL [ms]');
const ms = Number(msArg || 2000);
const INFLIGHT = 100;

let sends = 0;
let sentBytes = 0;
let messages = 0;
/** The host WebSocket, counting what the client sends and receives. */
class CountingWebSocket extends globalThis.WebSocket {
  constructor(...args) {
    super(...args);
    this.addEventListener('message', () => messages++);
  }
  send(data) {
    sends++;
    sentBytes += data.length ?? data.byteLength;
    return super.send(data);
  }
}
globalThis.WebSocket = CountingWebSocket;

const web = await import(pathToFileURL(path.join(path.resolve(webDir), 'index.js')).href);
const { createTRPCClient } = await import('@trpc/client');
await web.init();
const ws = web.createTRPCWebSocket({ url });
const client = createTRPCClient({ links: [web.wsLink({ client: ws })] });
const query = () => client.echo.query(1);
await query();

async function run(forMs) {
  const c0 = process.cpuUsage();
  const t = performance.now();
  const deadline = t + forMs;
  const [s0, b0, m0] = [sends, sentBytes, messages];
  let n = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      await query();
      n++;
    }
  };
  await Promise.all(Array.from({ length: INFLIGHT }, worker));
  const el = performance.now() - t;
  const used = process.cpuUsage(c0);
  const per = (x) => Math.round((x / n) * 1000) / 1000;
  return {
    qps: Math.round((n * 1000) / el),
    cpu_us_per_query: per(used.user + used.system),
    frames_per_query: per(sends - s0),
    bytes_per_query: per(sentBytes - b0),
    messages_per_query: per(messages - m0),
  };
}

await run(Math.min(500, ms)); // warm-up
console.log(JSON.stringify(await run(ms)));
ws.close();
process.exit(0);
