// The README's JavaScript quick start (tRPC's wsLink docs snippet with our
// import) runs as written, bar the server's address and the TypeScript-only
// syntax, against the real test server.
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { startServer } from './helpers.js';

const readme = new URL('../../README.md', import.meta.url);
// Inside the package, so that `import … from 'trpcws'` resolves to it.
const generated = new URL('./fixtures/readme-snippet.generated.mjs', import.meta.url);

async function snippet() {
  const text = await readFile(readme, 'utf8');
  const section = text.slice(text.indexOf('## JavaScript quick start'));
  const m = /```ts\n([\s\S]*?)```/.exec(section);
  assert.ok(m, 'the quick start has a ts block');
  return m[1];
}

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await rm(generated, { force: true });
  await server?.stop();
});

test('the README quick start works as written', async () => {
  const ts = await snippet();
  assert.match(ts, /from 'trpcws'/);
  const js =
    ts
      .replace(/^import type .*\n/m, '')
      .replace('createTRPCClient<AppRouter>(', 'createTRPCClient(')
      .replace('ws://localhost:3000', server.url) + '\nexport { client, wsClient };\n';
  await writeFile(generated, js);
  if (typeof globalThis.WebSocket !== 'function') {
    // Node 20 without --experimental-websocket: as the reference, the
    // constructor call throws, naming the fix.
    await assert.rejects(import(generated.href), /No WebSocket implementation found/);
    return;
  }
  const { client, wsClient } = await import(generated.href);
  assert.equal(await client.echo.query('hello'), 'hello');
  assert.equal(await client.add.mutate({ a: 1, b: 2 }), 3);
  await wsClient.close();
});
