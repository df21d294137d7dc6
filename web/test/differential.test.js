// The differential test: early start (web/lib/early.js, before the module
// runs) against core through jsbridge (the module running from the start).
// Each scripted server transcript (fixtures/differential-scenarios.mjs)
// runs once per path in a fresh process; the URLs and frames the client
// sends must be byte-identical, and what it delivers (results, errors,
// onError, connection states) the same.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { scenarios } from './fixtures/differential-scenarios.mjs';

const fixture = fileURLToPath(new URL('./fixtures/differential.mjs', import.meta.url));

function run(mode, scenario) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [...process.execArgv, fixture, mode, scenario], { timeout: 60000 }, (err, out, errOut) => {
      if (err) reject(new Error(`${mode} ${scenario}: ${err.message}\n${errOut}`));
      else resolve(JSON.parse(out.trim().split('\n').pop()));
    });
  });
}

describe('early start against core: the same transcript, the same frames and deliveries', () => {
  for (const name of Object.keys(scenarios)) {
    test(name, async () => {
      const [core, early] = await Promise.all([run('core', name), run('early', name)]);
      assert.deepEqual(early.urls, core.urls, 'the URLs opened');
      assert.deepEqual(early.out, core.out, 'the frames sent, byte for byte');
      assert.deepEqual(early.log, core.log, 'what the client delivered');
      assert.deepEqual(early.states, core.states, 'the connection states');
      assert.ok(core.out.length > 0, 'the client sent frames');
    });
  }
});
