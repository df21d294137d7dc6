// experimental_encoder, as @trpc/client applies it: every protocol message
// (requests, batches, subscription.stop, connectionParams) goes through
// encoder.encode as the object the reference builds, and every inbound frame
// but "PING"/"PONG" through encoder.decode. Go keeps routing JSON: it gets
// the decoded message's envelope as JSON text with result.data left out
// (replaced by 0), and the data the user sees is the decoded value itself.
import { isObject } from './host.js';

/**
 * Turns a frame Go wrote (JSON text with "\0key\0" markers where inputs and
 * connection params go) into the message the reference would encode.
 * valueOf(key) gives the value a marker stands for.
 */
export function messageOf(frame, valueOf) {
  let revive;
  if (frame.includes('\0')) {
    const parts = frame.split('\0');
    const keys = new Map();
    for (let i = 1; i < parts.length; i += 2) {
      const token = `\u0000trpcws-marker:${i}`;
      keys.set(token, parts[i]);
      parts[i] = JSON.stringify(token);
    }
    frame = parts.join('');
    revive = (_, v) => (typeof v === 'string' && keys.has(v) ? valueOf(keys.get(v)) : v);
  }
  const parsed = JSON.parse(frame, revive);
  return Array.isArray(parsed) ? parsed.map(asReference) : asReference(parsed);
}

/** A request as the reference builds it: {id, method, params: {input, path, lastEventId}}, undefined keys kept. */
function asReference(msg) {
  if (!isObject(msg) || !isObject(msg.params)) return msg;
  const { input, path, lastEventId } = msg.params;
  return { id: msg.id, method: msg.method, params: { input, path, lastEventId } };
}

/**
 * The envelope of a decoded server message as JSON text for Go: the same
 * message with result.data replaced by 0 (when present). Throws when the
 * message cannot be written as JSON (Go then reports a frame error).
 */
export function envelopeOf(msg) {
  if (!isObject(msg) || !isObject(msg.result) || !('data' in msg.result)) return JSON.stringify(msg);
  return JSON.stringify({ ...msg, result: { ...msg.result, data: 0 } });
}
