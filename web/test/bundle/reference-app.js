// The app measured against ours (web/test/bundle-size.mjs): createTRPCClient
// with @trpc/client's own wsLink, one query and one subscription.
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';

const client = createTRPCClient({ links: [wsLink({ client: createWSClient({ url: 'ws://localhost:3000' }) })] });
console.log(await client.echo.query('hi'));
client.events.subscribe(undefined, { onData: (d) => console.log(d) });
