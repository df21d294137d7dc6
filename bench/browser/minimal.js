// The limit for any link: createTRPCClient over bench/minimal-link.mjs (one frame per operation
// on a bare WebSocket, replies routed by id).
import { createTRPCClient } from '@trpc/client';
import { minimalLink, openSocket } from '../minimal-link.mjs';
import { run, wsUrl } from './common.js';

let client;
run(async () => {
  client ??= createTRPCClient({ links: [minimalLink(await openSocket(wsUrl))] });
  return client.echo.query(1);
});
