// trpcws with earlyStart: false: the first query waits for the module to be fetched, compiled
// and running (the behaviour before early start), for comparison in the same run.
import { createTRPCClient } from '@trpc/client';
import { createTRPCWebSocket, init, wsLink } from '../../web/index.js';
import wasmUrl from '../../web/trpcws.wasm';
import { run, wsUrl } from './common.js';

init(new URL(wasmUrl, import.meta.url));
const client = createTRPCClient({ links: [wsLink({ client: createTRPCWebSocket({ url: wsUrl, earlyStart: false }) })] });
run(() => client.echo.query(1));
