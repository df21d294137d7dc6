// Delivery: what Go's records carry goes to the request's observer, through
// its transformer (results, events, errors), or to onError (a dropped frame).
import { REF_FRAME } from './constants.js';
import { callErrorFromDesc, clientError, TransformResultError, TRPCWebSocketFrameError } from './errors.js';
import { callComplete, callError, callNext, callUserCallback } from './host.js';
import { schedule, wasm } from './load.js';
import { cancel } from './requests.js';

/**
 * The value of the data ref at record number i, parsed from the text it
 * points at (JSON.parse, as the reference parses frames); undefined when
 * absent (a void result).
 */
function data(s, i, frame) {
  if (s.decoded !== undefined && wasm.num(i) === REF_FRAME) return s.decoded.result.data;
  const text = wasm.ref(i, frame);
  return text === undefined ? undefined : JSON.parse(text);
}

/** A query's or mutation's result (the ref at i): the observer gets it and completes. */
export function deliverResult(s, req, i, frame) {
  const result = { type: 'data', data: undefined };
  try {
    result.data = req.transformer.output.deserialize(data(s, i, frame));
  } catch {
    callError(req.observer, clientError(new TransformResultError()));
    return;
  }
  callNext(req.observer, { result });
  callComplete(req.observer);
}

/** A subscription's event: its data ref at i, its tracked id's at i+3. */
export function deliverEvent(s, req, i, frame) {
  const eventId = wasm.ref(i + 3, frame);
  const result = eventId === undefined ? { type: 'data', data: undefined } : { type: 'data', id: eventId, data: undefined };
  try {
    result.data = req.transformer.output.deserialize(data(s, i, frame));
  } catch {
    // As the reference: the subscription fails; Go is told to stop it.
    req.done = true;
    callError(req.observer, clientError(new TransformResultError()));
    schedule(() => cancel(s, req));
    return;
  }
  callNext(req.observer, { result });
}

/** The call failed: the error Go describes at ref i. */
export function deliverError(req, i, frame) {
  callError(req.observer, callErrorFromDesc(JSON.parse(wasm.ref(i, frame)), req.transformer));
}

/** An undecodable frame was dropped (Go's description at ref i); the connection carries on. */
export function deliverFrameError(s, i, frame) {
  const desc = JSON.parse(wasm.ref(i, frame));
  const received = s.received ?? frame;
  frameError(s, new TRPCWebSocketFrameError(desc?.message ?? 'trpcws: malformed server frame', received));
}

/** A server frame was dropped: the app hears of it through onError; the connection carries on. */
export function frameError(s, err) {
  const onError = s.opts.onError;
  if (onError) callUserCallback(() => onError(err));
}
