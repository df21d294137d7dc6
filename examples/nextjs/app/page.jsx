// A server component: rendered on the server for every request (it reads searchParams), with the
// client component below rendered to HTML there too, then hydrated in the browser.
import { Demo } from './demo.jsx';

export default async function Page({ searchParams }) {
  const { ws } = await searchParams;
  const url = typeof ws === 'string' && ws ? ws : (process.env.TRPC_WS_URL ?? 'ws://127.0.0.1:3001/trpc');
  return <Demo url={url} />;
}
