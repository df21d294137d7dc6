// Shared pieces of the web tests: the real test server (../../testserver),
// the WebSocket implementation under test, small waiting helpers.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import WsWebSocket from 'ws';

const serverPath = fileURLToPath(new URL('../../testserver/server.mjs', import.meta.url));

/**
 * The WebSocket constructor the tests pass as the `WebSocket` option:
 * undefined (the host's global one) unless TRPCWS_TEST_WS=ws selects the npm
 * `ws` package as the ponyfill.
 */
export const WebSocketImpl = process.env.TRPCWS_TEST_WS === 'ws' ? WsWebSocket : undefined;
export const wsMode = process.env.TRPCWS_TEST_WS === 'ws' ? 'ws ponyfill' : 'global WebSocket';

/**
 * Starts node ../../testserver/server.mjs --port 0 [...args] and resolves
 * once it printed LISTENING <port>. stop() ends it.
 */
export async function startServer(args = []) {
  const child = spawn(process.env.TRPCWS_SERVER_NODE || 'node', [serverPath, '--port', '0', '--quiet', ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    const onData = (d) => {
      out += d;
      const m = /LISTENING (\d+)/.exec(out);
      if (m) {
        child.stdout.off('data', onData);
        resolve(Number(m[1]));
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`test server exited with ${code}`)));
    child.once('error', reject);
  });
  const base = `http://127.0.0.1:${port}`;
  const control = async (path) => {
    const res = await fetch(base + path);
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
    return res.json();
  };
  return {
    port,
    url: `ws://127.0.0.1:${port}`,
    control,
    stats: () => control('/control/stats'),
    reset: () => control('/control/reset'),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls cond every 10 ms until it is truthy or timeoutMs passes. */
export async function waitFor(cond, timeoutMs = 5000, what = 'condition') {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** The client frames the server saw, without keep-alive text. */
export function protocolFrames(stats) {
  return stats.framesIn.filter((f) => f !== 'PING' && f !== 'PONG');
}
