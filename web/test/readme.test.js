// The README is the front door: its JavaScript quick start (tRPC's wsLink
// docs snippet with our import) runs as written, bar the server's address and
// the TypeScript-only syntax, against the real test server; it stays short,
// comes before Go, the links of every Markdown file resolve, and its support table names
// the versions the project's scripts actually install.
import assert from 'node:assert/strict';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { startServer } from './helpers.js';

const root = new URL('../../', import.meta.url);
const readme = new URL('README.md', root);
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
    // Node 20 without --experimental-websocket: the constructor call throws.
    await assert.rejects(import(generated.href), /WebSocket/);
    return;
  }
  const { client, wsClient } = await import(generated.href);
  assert.equal(await client.echo.query('hello'), 'hello');
  assert.equal(await client.add.mutate({ a: 1, b: 2 }), 3);
  await wsClient.close();
});

test('the README is a short front door: make demo first, JavaScript before Go', async () => {
  const text = await readFile(readme, 'utf8');
  const lines = text.split('\n').length;
  assert.ok(lines >= 100 && lines <= 260, `README.md has ${lines} lines`);
  const firstCommand = /```sh\n(.*)\n/.exec(text);
  assert.match(firstCommand[1], /^make demo\b/);
  const js = text.indexOf('## JavaScript quick start');
  const go = text.indexOf('## Go quick start');
  assert.ok(js > 0 && go > js, 'the JavaScript quick start comes before Go');
  for (const page of ['js', 'go', 'cli', 'serving', 'reliability', 'performance', 'architecture', 'releasing']) {
    assert.ok(text.includes(`(docs/${page}.md`), `README links docs/${page}.md`);
  }
  // No commit hashes in the front door or the docs: figures carry a date and a command.
  for (const [name, body] of await docs()) {
    assert.doesNotMatch(body, /main at `[0-9a-f]{7,}`/, `${name} names a commit`);
  }
});

// GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens.
const slug = (h) => h.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');

async function docs() {
  const out = [['README.md', await readFile(readme, 'utf8')]];
  for (const f of await readdir(new URL('docs/', root))) {
    if (f.endsWith('.md')) out.push([`docs/${f}`, await readFile(new URL(`docs/${f}`, root), 'utf8')]);
  }
  return out;
}

// Every Markdown file of the repository (README.md, CHANGELOG.md, docs/, examples/*/README.md,
// web/README.md, …), skipping what installs and builds leave (node_modules, dist, .next, artifacts).
async function markdown(dir = root, out = new Map()) {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.') || ['node_modules', 'dist', 'artifacts'].includes(e.name)) continue;
    const url = new URL(e.isDirectory() ? `${e.name}/` : e.name, dir);
    if (e.isDirectory()) await markdown(url, out);
    else if (e.name.endsWith('.md')) out.set(url.pathname.slice(new URL(root).pathname.length), await readFile(url, 'utf8'));
  }
  return out;
}

test('every relative link in the Markdown files resolves, anchors included', async () => {
  const pages = await markdown();
  for (const name of ['README.md', 'CHANGELOG.md', 'docs/js.md', 'web/README.md', 'examples/workerd/README.md']) {
    assert.ok(pages.has(name), `the link check reads ${name}`);
  }
  // GitHub numbers a repeated heading's anchor: #x, #x-1, #x-2.
  const anchors = (body) => {
    const seen = new Map();
    return new Set([...body.replace(/```[\s\S]*?```/g, '').matchAll(/^#+ (.*)$/gm)].map((m) => {
      const a = slug(m[1]);
      const n = seen.get(a) ?? 0;
      seen.set(a, n + 1);
      return n ? `${a}-${n}` : a;
    }));
  };
  for (const [name, body] of pages) {
    const stripped = body.replace(/```[\s\S]*?```/g, '');
    for (const [, target] of stripped.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target)) continue;
      const [path, anchor] = target.split('#');
      const file = path ? new URL(path, new URL(name, root)) : new URL(name, root);
      assert.ok(existsSync(file), `${name}: ${target} does not exist`);
      if (anchor && file.pathname.endsWith('.md')) {
        const rel = file.pathname.slice(new URL(root).pathname.length);
        const text = pages.get(rel) ?? (await readFile(file, 'utf8'));
        assert.ok(anchors(text).has(anchor), `${name}: ${target}: no such heading`);
      }
    }
  }
});

test("the support table names the versions the project's scripts install", async () => {
  const text = await readFile(readme, 'utf8');
  const support = text.slice(text.indexOf('## Support'), text.indexOf('## Versioning'));
  const e2e = JSON.parse(await readFile(new URL('e2e/package.json', root), 'utf8')).dependencies;
  const web = JSON.parse(await readFile(new URL('web/package.json', root), 'utf8')).devDependencies;
  const row = (name) => support.split('\n').find((l) => l.startsWith(`| ${name} |`)) ?? '';
  assert.ok(row('Deno').includes(e2e.deno), `Deno ${e2e.deno}`);
  assert.ok(row('Bun').includes(e2e.bun), `Bun ${e2e.bun}`);
  assert.ok(row('Cloudflare workerd').includes(e2e.workerd), `workerd ${e2e.workerd}`);
  assert.ok(row('Node 22').includes(web.node), `Node ${web.node}`);
  assert.ok(row('Node 20').includes(process.versions.node) || !process.versions.node.startsWith('20.'),
    `Node 20 row names ${process.versions.node}`);
});
