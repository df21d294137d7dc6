// Preloaded into `next start` by e2e/nextjs.mjs (node --import): records the URL of every
// WebSocket the server process constructs, one line each, in the file named by
// TRPCWS_E2E_WEBSOCKET_LOG, so that the test sees a socket server rendering tried to open even
// when it fails before it reaches the tRPC server. It replaces the global WebSocket's value only:
// globalThis keeps the same keys.
import fs from 'node:fs';

const file = process.env.TRPCWS_E2E_WEBSOCKET_LOG;
const NativeWebSocket = globalThis.WebSocket;
if (!file || typeof NativeWebSocket !== 'function') {
  throw new Error('count-websockets.mjs: needs TRPCWS_E2E_WEBSOCKET_LOG and a global WebSocket (Node >= 22)');
}
globalThis.WebSocket = class WebSocket extends NativeWebSocket {
  constructor(url, ...rest) {
    fs.appendFileSync(file, `${url}\n`);
    super(url, ...rest);
  }
};
