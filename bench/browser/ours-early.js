// trpcws with the module's compile started by an inline script in <head> (before this bundle
// is even downloaded): the page's window.__trpcwsModule is a Promise of the compiled module,
// handed to init().
import { createTRPCClient } from '@trpc/client';
import { createTRPCWebSocket, init, wsLink } from '../../web/index.js';
import wasmUrl from '../../web/trpcws.wasm';
import { run, wsUrl } from './common.js';

init(window.__trpcwsModule ?? new URL(wasmUrl, import.meta.url));
const client = createTRPCClient({ links: [wsLink({ client: createTRPCWebSocket({ url: wsUrl }) })] });
run(() => client.echo.query(1));
