// The floor: the wire protocol by hand on a bare WebSocket, one frame per query.
import { run, wsUrl } from './common.js';

const ws = new WebSocket(wsUrl);
const opened = new Promise((resolve, reject) => {
  ws.onopen = resolve;
  ws.onerror = () => reject(new Error('connect failed'));
});
const pending = new Map();
let id = 0;
ws.onmessage = (ev) => {
  const m = JSON.parse(ev.data);
  const p = pending.get(m.id);
  if (p) {
    pending.delete(m.id);
    p(m.result.data);
  }
};
run(async () => {
  await opened;
  return new Promise((resolve) => {
    const i = ++id;
    pending.set(i, resolve);
    ws.send(`{"id":${i},"method":"query","params":{"input":1,"path":"echo"}}`);
  });
});
