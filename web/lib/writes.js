// Writes: frames leave the sockets. A write Go announces is transmitted
// once per tick (everything asked for in it leaves in one frame); the
// frames Go hands over have their markers spliced, or go through the
// encoder.
import { messageOf } from './encoder.js';
import { clientError } from './errors.js';
import { callError, callUserCallback } from './host.js';
import { schedule, wasm } from './load.js';
import { call } from './dispatch.js';
import { cancel } from './requests.js';

/** Go has something to write on socket id: it transmits in a microtask. */
export function wantWrite(s, id) {
  const sock = s.socks.get(id);
  if (!sock || sock.writeQueued) return;
  sock.writeQueued = true;
  // Everything requested in this tick leaves in one frame.
  if (!sock.transmitTask) {
    // made once per socket
    const transmit = () => {
      sock.writeQueued = false;
      if (!sock.ended) call(s, wasm.x.trpcws_transmit(s.cid, sock.id));
      if (sock.closeAfterWrite) sock.closeNow(sock.closeAfterWrite, false);
    };
    sock.transmitTask = () => schedule(transmit);
  }
  queueMicrotask(sock.transmitTask);
}

/** Sends Go's frame on socket id. */
export function send(s, id, frame) {
  const sock = s.socks.get(id);
  if (!sock?.ws || sock.ended) return;
  if (s.encoder && frame !== 'PING' && frame !== 'PONG') {
    // As the reference: PING and PONG stay text, the rest is encoded.
    let encoded;
    try {
      encoded = s.encoder.encode(messageOf(frame, (key) => markerValue(s, key)));
    } catch (err) {
      encodeFailed(s, frame, err);
      return;
    }
    sock.send(encoded);
    return;
  }
  sock.send(splice(s, frame));
}

/**
 * The encoder threw on frame, which is not sent: as the reference, every
 * call in it fails with a TRPCClientError of the error (each call carries a
 * marker with an encoder: see request), and Go forgets them. A frame
 * without calls (subscription.stop, connection params) is dropped and the
 * error rethrown asynchronously.
 */
function encodeFailed(s, frame, err) {
  const failed = [];
  const parts = frame.split('\0');
  for (let i = 1; i < parts.length; i += 2) {
    const req = parts[i][0] === 'p' ? null : s.reqs.get(Number(parts[i]));
    if (req && !req.done) failed.push(req);
  }
  if (!failed.length) {
    callUserCallback(() => {
      throw err;
    });
    return;
  }
  for (const req of failed) {
    req.done = true;
    // Go is told once this call into it has returned.
    schedule(() => cancel(s, req));
    callError(req.observer, clientError(err));
  }
}

/** With an encoder: the value a marker stands for (an input, or a socket's connection params). */
function markerValue(s, key) {
  if (key[0] === 'p') return s.socks.get(Number(key.slice(1)))?.paramsValue;
  return s.reqs.get(Number(key))?.input;
}

/** Replaces the markers Go left ("\0key\0") with the JSON text they stand for. */
function splice(s, frame) {
  let at = frame.indexOf('\0');
  if (at < 0) return frame;
  let out = '';
  let from = 0;
  do {
    const end = frame.indexOf('\0', at + 1);
    if (end < 0) break; // not a marker: left as it is
    const key = frame.slice(at + 1, end);
    const value = key[0] === 'p' ? s.socks.get(Number(key.slice(1)))?.params : s.reqs.get(Number(key))?.inputJSON;
    out += frame.slice(from, at) + (value ?? 'null');
    from = end + 1;
    at = frame.indexOf('\0', from);
  } while (at >= 0);
  return out + frame.slice(from);
}
