// init(): every kind of source, each in a fresh process; and without init().
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';

const child = fileURLToPath(new URL('./fixtures/init-child.mjs', import.meta.url));

function run(kind, nodeArgs = []) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [...process.execArgv.filter((a) => !a.startsWith('--test')), ...nodeArgs, child, kind], { timeout: 20000 }, (err, stdout, stderr) => {
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
    assert.match(r.init, /from the file system: on a server whose bundler rewrote the module's URL, create the client in the browser only/);
    assert.match(r.query, /TRPCClientError: trpcws: the WebAssembly module failed to load/);
  });
  // Every failure names its cause and what to do; calls made before and
  // after it, and clients made later, fail with it; the state carries it.
  const failures = [
    ['not-wasm', [], 'not-wasm', /is not trpcws's WebAssembly module.*serve trpcws\.wasm as application\/wasm.*begins with 3c 21 64 6f/],
    ['http-404', [], 'http', /answered HTTP 404: serve trpcws\.wasm at that URL/],
    ['no-webassembly', ['--jitless'], 'no-webassembly', /has no WebAssembly/],
    ['missing', [], 'other', /ENOENT/],
  ];
  for (const [kind, args, reason, words] of failures) {
    test(`a failed load (${kind}) says why, in init(), the calls, connectionState, onError and onEvent`, async () => {
      const r = await run(kind, args);
      assert.equal(r.reason, reason);
      assert.match(r.init, /^TRPCWebSocketLoadError: trpcws: /);
      assert.match(r.init, words);
      const failed = /^TRPCClientError: trpcws: the WebAssembly module failed to load: (?!trpcws: )/;
      assert.match(r.query, failed);
      assert.match(r.query, words);
      assert.equal(r.state.state, 'connecting');
      assert.match(r.state.error, /^TRPCWebSocketClosedError: trpcws: the WebAssembly module failed to load: (?!trpcws: )/);
      assert.match(r.state.error, words);
      assert.equal(r.events.length, 1, 'one loadFailed event');
      assert.equal(r.events[0].type, 'loadFailed');
      assert.match(r.events[0].error, words);
      assert.equal(r.errors.filter((e) => !e.startsWith('later')).length, 1, 'onError once');
      assert.match(r.errors[0], words);
      assert.match(r.later.query, failed);
      assert.match(r.later.error, words);
      assert.equal(r.later.state, 'connecting');
      assert.equal(r.errors.filter((e) => e.startsWith('later')).length, 1, 'a later client\'s onError once');
    });
  }
  test('a bad source is a TypeError', async () => {
    const r = await run('bad');
    assert.match(r.init, /TypeError: trpcws: init\(\) takes/);
  });
});
