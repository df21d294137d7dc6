// The same app as reference-app.js with trpcws's createWSClient and wsLink.
import { createTRPCClient } from '@trpc/client';
import { createWSClient, wsLink } from 'trpcws';

const client = createTRPCClient({ links: [wsLink({ client: createWSClient({ url: 'ws://localhost:3000' }) })] });
console.log(await client.echo.query('hi'));
client.events.subscribe(undefined, { onData: (d) => console.log(d) });
