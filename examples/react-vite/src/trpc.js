// The tRPC client of the app: @trpc/client's createTRPCClient over trpcws's wsLink, and the
// React bindings of @trpc/tanstack-react-query.
import { createTRPCClient } from '@trpc/client';
import { createTRPCContext } from '@trpc/tanstack-react-query';
import { createTRPCWebSocket, wsLink } from 'trpcws';

// The server's address: ?ws=ws://host:port, else the host that served the page.
export const wsUrl =
  new URLSearchParams(location.search).get('ws') ??
  `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`;

export const wsClient = createTRPCWebSocket({ url: wsUrl });
export const trpcClient = createTRPCClient({ links: [wsLink({ client: wsClient })] });
export const { TRPCProvider, useTRPC } = createTRPCContext();
