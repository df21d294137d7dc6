// The smallest terminating link for @trpc/client's createTRPCClient: each operation is one JSON
// frame on an already open WebSocket, replies are routed by id; no batching, no reconnect, no
// connection state, no lazy mode, no keep-alive. It is the limit any link under createTRPCClient
// can reach ("minimal-link" in make bench, in Node and in Chromium), not a usable client.
import { TRPCClientError } from '@trpc/client';
import { observable } from '@trpc/server/observable';

/** minimalLink(ws): ws is an open WebSocket (host API: onmessage/send). */
export function minimalLink(ws) {
  const handlers = new Map(); // id → (message) => void
  let nextId = 0;
  ws.onmessage = (ev) => {
    const msg = JSON.parse(ev.data);
    handlers.get(msg.id)?.(msg);
  };
  return () =>
    ({ op }) =>
      observable((observer) => {
        const id = ++nextId;
        const once = op.type !== 'subscription';
        handlers.set(id, (msg) => {
          if (msg.error) {
            handlers.delete(id);
            observer.error(TRPCClientError.from(msg));
            return;
          }
          const result = msg.result;
          if (result.type === 'stopped') {
            handlers.delete(id);
            observer.complete();
            return;
          }
          observer.next({ result });
          if (once) {
            handlers.delete(id);
            observer.complete();
          }
        });
        ws.send(JSON.stringify({ id, method: op.type, params: { input: op.input, path: op.path } }));
        return () => {
          if (handlers.delete(id) && !once) ws.send(JSON.stringify({ id, method: 'subscription.stop' }));
        };
      });
}

/** Opens a WebSocket (WS: the constructor) and resolves once it is open. */
export function openSocket(url, WS = globalThis.WebSocket) {
  const ws = new WS(url);
  return new Promise((resolve, reject) => {
    ws.onopen = () => resolve(ws);
    ws.onerror = (e) => reject(new Error(`connect failed: ${e?.message ?? e}`));
  });
}
