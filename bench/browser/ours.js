// trpcws: createTRPCWebSocket + its wsLink + createTRPCClient. The module's URL comes from
// esbuild's file loader (docs/serving.md, Bundlers: esbuild), handed to init() at module evaluation.
import { createTRPCClient } from '@trpc/client';
import { createTRPCWebSocket, init, wsLink } from '../../web/index.js';
import wasmUrl from '../../web/trpcws.wasm';
import { run, wsUrl } from './common.js';

init(new URL(wasmUrl, import.meta.url));
const client = createTRPCClient({ links: [wsLink({ client: createTRPCWebSocket({ url: wsUrl }) })] });
run(() => client.echo.query(1));
