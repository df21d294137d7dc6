// The tRPC client of the app: @trpc/client's createTRPCClient with trpcws's wsLink as its
// terminating link. It is made on first use, and only in the browser: server rendering imports
// this module (and trpcws, which defines nothing on globalThis) but never calls getTRPC(), so it
// opens no socket. Queries (queryFn) and subscriptions (useEffect) run in the browser only.
import { createTRPCClient } from '@trpc/client';
import { createTRPCWebSocket, wsLink } from 'trpcws';

let clients = null;

/** The page's WebSocket client (ws) and tRPC client (trpc), for url; browser only. */
export function getTRPC(url) {
  if (typeof window === 'undefined') {
    throw new Error('getTRPC() is for the browser: call it from a queryFn, an effect or an event handler');
  }
  if (!clients) {
    const ws = createTRPCWebSocket({ url });
    clients = { url, ws, trpc: createTRPCClient({ links: [wsLink({ client: ws })] }) };
  }
  return clients;
}
