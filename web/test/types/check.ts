// Typecheck fixture: `tsc --noEmit -p web/test/types`. It must compile, and each
// line marked as an expected error must be one.
import { createTRPCClient, TRPCClientError } from '@trpc/client';
import superjson from 'superjson';
import {
  createTRPCWebSocket,
  backoff,
  createWSClient,
  exponentialBackoff,
  init,
  TRPCWebSocketAuthRefreshError,
  TRPCWebSocketFrameError,
  TRPCWebSocketNotResubscribedError,
  wsLink,
  type TRPCWebSocketContext,
  type TRPCWebSocket,
  type TRPCWebSocketConnectionState,
} from '../../index.js';
import type { AppRouter, TransformedRouter } from './router.js';

export async function main(module: WebAssembly.Module) {
  await init();
  await init(new URL('./trpcws.wasm', 'file:///x/'));
  await init(new Uint8Array(8));
  await init(module);

  const client: TRPCWebSocket = createTRPCWebSocket({
    url: () => Promise.resolve('ws://localhost:3000'),
    connectionParams: async () => ({ token: 'x' }),
    retryDelayMs: exponentialBackoff,
    lazy: { enabled: true, closeMs: 100 },
    keepAlive: { enabled: true, intervalMs: 1000 },
    onOpen: () => {},
    onClose: (cause) => void cause?.code,
  });
  const trpc = createTRPCClient<AppRouter>({ links: [wsLink<AppRouter>({ client })] });

  const r: { said: string } = await trpc.echo.query({ text: 'hi' });
  const n: number = await trpc.add.mutate({ a: 1, b: 2 });
  const sub = trpc.events.subscribe(undefined, {
    onData: (ev) => void (ev.id satisfies string),
    onConnectionStateChange: (s) => void s.state,
    onError: (err) => void (err instanceof TRPCClientError),
  });
  sub.unsubscribe();
  const context: TRPCWebSocketContext = { resubscribe: false, timeoutMs: 1000 };
  const once = trpc.events.subscribe(undefined, {
    context,
    onError: (err) => void (err.cause instanceof TRPCWebSocketNotResubscribedError && (err.cause.code satisfies 'NOT_RESUBSCRIBED')),
  });
  once.unsubscribe();
  // @ts-expect-error resubscribe is a boolean
  const badContext: TRPCWebSocketContext = { resubscribe: 'no' };
  void badContext;

  const state: TRPCWebSocketConnectionState = client.connectionState.get();
  const s = client.connectionState.subscribe({ next: (v) => void v.error?.message });
  s.unsubscribe();
  void client.connection?.ws;
  client.reconnect();
  const st: number = client.stats().framesIn;
  const policed = createTRPCWebSocket({
    url: 'ws://x',
    retryDelayMs: backoff({ baseMs: 500, jitter: 'full' }),
    retry: { maxAttempts: 5, shouldRetry: (info) => info.code !== 4001, minUptimeMs: 1000 },
    connectTimeoutMs: 5000,
    requestTimeoutMs: 10000,
    maxQueued: 100,
    maxConnectionAgeMs: 300_000,
    networkAware: true,
    onEvent: (e) => void (e.type === 'attempt' ? e.delayMs : e.code),
    debug: false,
  });
  void policed;
  void st;
  const authed = createTRPCWebSocket({
    url: 'ws://x',
    connectionParams: async () => ({ token: 't' }),
    refreshAuth: async (reason) => void (reason.closeCode ?? reason.error),
    refreshAuthRetryMutations: true,
    refreshAuthCloseCodes: [4401, 4001],
  });
  void authed;
  const authErr = (e: unknown) => e instanceof TRPCClientError && e.cause instanceof TRPCWebSocketAuthRefreshError && e.cause.reason.closeCode;
  void authErr;
  // @ts-expect-error refreshAuthCloseCodes holds numbers
  createTRPCWebSocket({ url: 'ws://x', refreshAuthCloseCodes: ['4401'] });
  await client.close();

  const other = createWSClient({
    url: 'ws://x',
    experimental_encoder: { encode: (m) => JSON.stringify(m), decode: (d) => JSON.parse(String(d)) },
    onError: (e) => void (e instanceof TRPCWebSocketFrameError ? e.frame : e?.type),
  });
  const t2 = createTRPCClient<TransformedRouter>({ links: [wsLink<TransformedRouter>({ client: other, transformer: superjson })] });
  const p: 'pong' = await t2.ping.query();

  // @ts-expect-error url must be a string or a function
  createTRPCWebSocket({ url: 42 });
  // @ts-expect-error lazy is an object
  createTRPCWebSocket({ url: 'ws://x', lazy: 'yes' });
  // @ts-expect-error a router with a transformer needs one in the link
  wsLink<TransformedRouter>({ client: other });
  // @ts-expect-error the @trpc/client query input is checked
  await trpc.echo.query({ nope: 1 });
  return [r, n, state, p];
}
