// init(): every kind of source, each in a fresh process; and without init().
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';

const child = fileURLToPath(new URL('./fixtures/init-child.mjs', import.meta.url));

function run(kind) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [...process.execArgv.filter((a) => !a.startsWith('--test')), child, kind], { timeout: 20000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${kind}: ${err.message}\n${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').at(-1)));
    });
  });
}

describe('init()', () => {
  for (const kind of ['auto', 'path', 'url', 'url-string', 'bytes', 'arraybuffer', 'module', 'module-object', 'response', 'response-promise']) {
    test(`loads from ${kind}`, async () => {
      const r = await run(kind);
      assert.equal(r.init, 'ok');
      assert.equal(r.query, kind, 'a query works (calls made before init waited for it)');
      assert.equal(r.goLeft, r.hadGo, 'globalThis.Go restored');
    });
  }
  test('a missing file rejects init() and fails waiting calls', async () => {
    const r = await run('missing');
    assert.match(r.init, /ENOENT/);
    assert.match(r.query, /TRPCClientError: trpcws: the WebAssembly module failed to load/);
  });
  test('a bad source is a TypeError', async () => {
    const r = await run('bad');
    assert.match(r.init, /TypeError: trpcws: init\(\) takes/);
  });
});
