// The wasm client's side of the hostile-server suite (driven by
// nodeclient_test.go): for each class named in argv[3] (comma-separated),
// the query "hostile" makes the server at argv[2] send that class's frames,
// then the query "echo" checks the client still works. Prints one JSON
// line: per class the outcome of both calls, the malformed frames reported
// to onError (TRPCWebSocketFrameError), memory.
import { createTRPCWebSocket, TRPCWebSocketFrameError } from '../../web/index.js';

const [url, list] = process.argv.slice(2);
const uncaught = [];
process.on('uncaughtException', (err) => uncaught.push(String(err?.stack ?? err)));
process.on('unhandledRejection', (err) => uncaught.push(String(err?.stack ?? err)));

let errors = 0; // malformed frames reported to onError
const client = createTRPCWebSocket({
  url,
  retryDelayMs: () => 10,
  onError: (err) => {
    if (err instanceof TRPCWebSocketFrameError) errors++;
  },
});
let opId = 0;

function call(path, input, ms = 60000) {
  return new Promise((resolve) => {
    let got = false;
    client.request({ op: { id: ++opId, type: 'query', path, input, context: {}, signal: AbortSignal.timeout(ms) } }).subscribe({
      next(env) {
        got = true;
        const want = path === 'echo' ? input : 'sent';
        resolve(env.result.data === want ? 'ok' : `answered ${JSON.stringify(env.result.data)}`);
      },
      error(err) {
        got = true;
        resolve(err?.name === 'TRPCClientError' ? 'closed' : `untyped error ${err?.stack ?? err}`);
      },
      complete() {
        if (!got) resolve('timed out');
      },
    });
  });
}

const out = { classes: [], uncaughtErrors: uncaught };
for (const name of list.split(',')) {
  const before = errors;
  const t0 = Date.now();
  const hostile = await call('hostile', name);
  const health = await call('echo', name);
  const mem = process.memoryUsage();
  out.classes.push({
    name,
    hostile,
    health,
    errors: errors - before,
    heapMB: mem.heapUsed / 2 ** 20,
    rssMB: mem.rss / 2 ** 20,
    ms: Date.now() - t0,
  });
}
await client.close();
console.log(JSON.stringify(out));
process.exit(0);
