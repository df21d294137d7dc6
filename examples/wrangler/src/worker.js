// A Cloudflare Worker that answers each HTTP request by calling a tRPC server over WebSocket,
// through @trpc/client and trpcws's wsLink. Built with wrangler: `import ... from 'trpcws'`
// resolves to the package's Workers entry (its `workerd` export condition), which imports the
// .wasm as a module and starts it with the first client. No init() step.
//
// Workers' rules, and what this file does about them:
// - Sockets belong to the request that opened them: each request creates its own client (lazy,
//   so it connects on its first call) and closes it before responding.
// - `new WebSocket(url)` sends no headers. ?ws=fetch connects the Workers way instead:
//   fetch(url, { headers: { Upgrade: 'websocket', ... } }), then resp.webSocket.accept(), a socket
//   that is open already (no open event fires): createWebSocket returns it.
// - An incoming message over 1 MiB closes the socket with 1009: calls in flight on it fail with the
//   close and the next call reconnects (?slowMs=N keeps a query in flight to see it).
import { createTRPCClient } from '@trpc/client';
import { createTRPCWebSocket, wsLink } from 'trpcws';

// The Workers way to open a WebSocket with headers of its own.
async function fetchWebSocket(url) {
  const resp = await fetch(url.replace(/^ws/, 'http'), { headers: { Upgrade: 'websocket', 'x-trpcws-worker': 'fetch' } });
  const ws = resp.webSocket;
  if (!ws) throw new Error(`trpcws example: ${url} answered HTTP ${resp.status}, not a WebSocket`);
  ws.accept();
  return ws;
}

export default {
  async fetch(request, env) {
    const params = new URL(request.url).searchParams;
    const viaFetch = params.get('ws') === 'fetch';
    const events = [];
    const client = createTRPCWebSocket({
      url: env.TRPC_URL,
      lazy: { enabled: true, closeMs: 0 },
      requestTimeoutMs: 5000,
      ...(viaFetch ? { createWebSocket: fetchWebSocket } : {}),
      onEvent: (e) => events.push(e.type === 'close' ? `close ${e.code}` : e.type === 'state' ? `state ${e.state}` : e.type),
    });
    const trpc = createTRPCClient({ links: [wsLink({ client })] });
    const signal = AbortSignal.timeout(10000);
    try {
      if (params.has('slowMs')) {
        // A query the server answers after slowMs; if the socket closes meanwhile (over 1 MiB in one
        // message: 1009), it fails with the close and the next query reconnects.
        const slow = await trpc.slow.query({ ms: Number(params.get('slowMs')), value: 'slow' }).then(
          (value) => ({ ok: true, value }),
          // As @trpc/client's own wsLink: the message is "Unknown error", the close event the cause.
          (err) => ({ ok: false, error: err.message, closeCode: err.cause?.code ?? null }),
        );
        const after = await trpc.echo.query('after');
        return Response.json({ slow, after, events, socketsOpened: client.stats().socketsOpened });
      }
      const echo = await trpc.echo.query(params.get('text') ?? 'hello from a Worker'); // a query
      const count = await trpc.increment.mutate({ by: 1 }); // a mutation
      const ticks = await take(trpc.events, { intervalMs: 1, max: 3 }, signal); // a tracked subscription
      // The handshake's header, as the server saw it (null through `new WebSocket`: it sends none).
      const header = await trpc.header.query({ name: 'x-trpcws-worker' });
      return Response.json({ echo, count, events: ticks, header, socketsOpened: client.stats().socketsOpened });
    } catch (err) {
      return Response.json({ error: err.message, cause: err.cause?.message ?? null, events }, { status: 502 });
    } finally {
      await client.close(); // before the response: the socket cannot outlive this request
    }
  },
};

// Collects a subscription's events until the server completes it.
function take(procedure, input, signal) {
  return new Promise((resolve, reject) => {
    const got = [];
    procedure.subscribe(input, {
      signal,
      onData: (event) => got.push(event),
      onError: reject,
      onComplete: () => (signal.aborted ? reject(signal.reason) : resolve(got)),
    });
  });
}
