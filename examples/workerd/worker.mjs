// A worker for workerd (Cloudflare's runtime) that answers each HTTP request by calling a tRPC
// server over WebSocket, through @trpc/client and trpcws's wsLink.
//
// workerd's rules, and what this file does about them:
// - Code cannot be compiled at run time: the .wasm is imported as a module (config.capnp
//   embeds it), and init() gets that WebAssembly.Module.
// - No timers or I/O in global scope: init() runs in the first request (and then returns at once).
// - Sockets belong to the request that opened them: each request creates its own client
//   (lazy, so it connects on its first call) and closes it before responding.
// - Calls wait while the client (re)connects: a deadline (AbortSignal) bounds the request.
import { createTRPCClient } from '@trpc/client';
import { init, createTRPCWebSocket, wsLink } from 'trpcws';
import wasmModule from 'trpcws/trpcws.wasm';

export default {
  async fetch(request, env) {
    await init(wasmModule);
    const client = createTRPCWebSocket({ url: env.TRPC_URL, lazy: { enabled: true, closeMs: 0 } });
    const trpc = createTRPCClient({ links: [wsLink({ client })] });
    let connectionError = null; // why the socket failed, if it did
    client.connectionState.subscribe({ next: ({ error }) => (connectionError = error ?? connectionError) });
    // Calls wait while the client (re)connects, as with @trpc/client: bound them, so that an
    // unreachable server fails the request instead of hanging it.
    const signal = AbortSignal.timeout(10000);
    try {
      const text = new URL(request.url).searchParams.get('text') ?? 'hello from workerd';
      const echo = await trpc.echo.query(text, { signal }); // a query
      const count = await trpc.increment.mutate({ by: 1 }, { signal }); // a mutation
      const events = await take(trpc.events, { intervalMs: 1, max: 3 }, signal); // a tracked subscription
      return Response.json({ echo, count, events });
    } catch (err) {
      const connection = causes(connectionError);
      return Response.json({ error: err.message, code: err.data?.code ?? null, connection }, { status: 502 });
    } finally {
      await client.close(); // before the response: the socket cannot outlive this request
    }
  },
};

// An error and its causes in one line, e.g. "Initialization error: Uncaught Error: internal error".
function causes(err) {
  const parts = [];
  for (let e = err; e && parts.length < 5; e = e.cause) parts.push(e.message ?? e.type ?? String(e));
  return parts.length ? [...new Set(parts)].join(': ') : null;
}

// Collects a subscription's events until the server completes it.
function take(procedure, input, signal) {
  return new Promise((resolve, reject) => {
    const events = [];
    procedure.subscribe(input, {
      signal,
      onData: (event) => events.push(event), // tracked: {id, data}
      onError: reject,
      onComplete: () => (signal.aborted ? reject(signal.reason) : resolve(events)),
    });
  });
}
