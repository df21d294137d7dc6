// A worker for workerd (Cloudflare's runtime) that answers each HTTP request by calling a tRPC
// server over WebSocket, through @trpc/client and trpcws's wsLink.
//
// workerd's rules, and what this file does about them:
// - Code cannot be compiled at run time: the .wasm is imported as a module (config.capnp
//   embeds it), and init() gets that WebAssembly.Module.
// - No timers or I/O in global scope: init() runs in the first request (and then returns at once).
// - Sockets belong to the request that opened them: each request creates its own client
//   (lazy, so it connects on its first call) and closes it before responding.
// - Calls wait while the client (re)connects: requestTimeoutMs bounds each query and mutation,
//   a deadline (AbortSignal) the subscription (subscriptions have no requestTimeoutMs).
import { createTRPCClient } from '@trpc/client';
import { init, createTRPCWebSocket, wsLink } from 'trpcws';
import wasmModule from 'trpcws/trpcws.wasm';

export default {
  async fetch(request, env) {
    await init(wasmModule);
    // Calls wait while the client (re)connects, as with @trpc/client: bound them, so that an
    // unreachable server fails the request instead of hanging it. requestTimeoutMs bounds each
    // query and mutation (waiting for the socket included); the signal bounds the subscription.
    const client = createTRPCWebSocket({ url: env.TRPC_URL, lazy: { enabled: true, closeMs: 0 }, requestTimeoutMs: 5000 });
    const trpc = createTRPCClient({ links: [wsLink({ client })] });
    let connectionError = null; // why the socket failed, if it did
    client.connectionState.subscribe({ next: ({ error }) => (connectionError = error ?? connectionError) });
    const signal = AbortSignal.timeout(10000);
    const params = new URL(request.url).searchParams;
    try {
      if (params.has('slowMs')) {
        // A query that takes slowMs on the server: past requestTimeoutMs it fails with a
        // TimeoutError (answered 504 below), and the socket stays as it was.
        const value = await trpc.slow.query({ ms: Number(params.get('slowMs')), value: 'slow' });
        return Response.json({ slow: value });
      }
      const text = params.get('text') ?? 'hello from workerd';
      const echo = await trpc.echo.query(text); // a query
      const count = await trpc.increment.mutate({ by: 1 }); // a mutation
      const events = await take(trpc.events, { intervalMs: 1, max: 3 }, signal); // a tracked subscription
      const { socketsOpened } = client.stats();
      return Response.json({ echo, count, events, socketsOpened });
    } catch (err) {
      const { state, socketsOpened, inFlight } = client.stats();
      const stats = { state, socketsOpened, inFlight };
      const connection = causes(connectionError);
      if (err.cause?.name === 'TimeoutError') {
        return Response.json({ error: err.message, cause: 'TimeoutError', connection, stats }, { status: 504 });
      }
      return Response.json({ error: err.message, code: err.data?.code ?? null, connection, stats }, { status: 502 });
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
