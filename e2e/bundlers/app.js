// The page built by each bundler: @trpc/client's createTRPCClient over trpcws's wsLink, one
// query; the result goes into the page (and window.__result for e2e/bundlers/check.mjs).
import { createTRPCClient } from '@trpc/client';
import { createTRPCWebSocket, wsLink } from 'trpcws';

const bundler = document.documentElement.dataset.bundler;
const client = createTRPCWebSocket({ url: new URLSearchParams(location.search).get('ws') });
const trpc = createTRPCClient({ links: [wsLink({ client })] });
const out = document.getElementById('out');
trpc.echo.query(`hello from ${bundler}`).then(
  (r) => {
    out.textContent = r;
    window.__result = r;
  },
  (err) => {
    out.textContent = `error: ${err.message}`;
    window.__error = String(err?.stack ?? err);
  },
);
