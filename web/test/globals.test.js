// Importing the package and starting the module leave nothing on globalThis
// (wasm_exec.js installs `fs`, `process`, `path` and `Go`), in a fresh process.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const child = fileURLToPath(new URL('./fixtures/globals-child.mjs', import.meta.url));

test('no globals are left behind by the import or the start-up', async () => {
  const r = await new Promise((resolve, reject) => {
    execFile(process.execPath, [...process.execArgv.filter((a) => !a.startsWith('--test')), child], { timeout: 20000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${err.message}\n${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').at(-1)));
    });
  });
  const none = { added: [], removed: [] };
  assert.equal(r.query, 'hi', 'the module started and answered');
  assert.deepEqual(r.afterImport, none, 'after the import');
  assert.deepEqual(r.afterStart, none, 'after start-up and a query');
  assert.deepEqual(r.afterClose, none, 'after close');
});
