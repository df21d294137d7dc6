// @trpc/client 11.25.2: createWSClient + wsLink + createTRPCClient.
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import { run, wsUrl } from './common.js';

const client = createTRPCClient({ links: [wsLink({ client: createWSClient({ url: wsUrl }) })] });
run(() => client.echo.query(1));
