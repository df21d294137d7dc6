// The user's callbacks Go asks for: retry.shouldRetry, retryDelayMs and
// refreshAuth (answered back to Go), and the notes onEvent (and debug) hear.
import { NOTES } from './constants.js';
import { errorFromDesc, keepCause, TransformResultError, TRPCWebSocketAuthRefreshError, valueFromDesc } from './errors.js';
import { callUserCallback, now } from './host.js';
import { schedule, wasm } from './load.js';
import { exponentialBackoff } from './options.js';
import { call } from './dispatch.js';
import { emit } from './state.js';

/**
 * The core asks how long attempt number attempt waits: the user's
 * retryDelayMs answers (run here, outside any Go call); a throw gives
 * the default backoff and is rethrown asynchronously, as the reference
 * does with a throwing callback; NaN waits 0.
 */
export function retry(s, attempt, errText) {
  const opts = s.opts;
  let giveUp = false;
  const shouldRetry = opts.retry?.shouldRetry;
  if (shouldRetry) {
    const info = { attempt };
    const desc = errText === undefined ? undefined : JSON.parse(errText);
    if (desc?.t === 'closed') {
      if (desc.code) info.code = desc.code;
      const event = valueFromDesc(desc.cause);
      if (typeof event?.reason === 'string') info.reason = event.reason;
      if (desc.cause && desc.cause.t !== 'js') info.error = valueFromDesc(desc.cause);
      else if (event instanceof Error) info.error = event;
    } else if (desc) {
      info.error = valueFromDesc(desc);
    }
    try {
      giveUp = shouldRetry(info) === false;
    } catch (err) {
      callUserCallback(() => {
        throw err;
      });
    }
  }
  let ms = exponentialBackoff(attempt);
  if (!giveUp && opts.retryDelayMs) {
    try {
      ms = Number(opts.retryDelayMs(attempt));
    } catch (err) {
      callUserCallback(() => {
        throw err;
      });
    }
  }
  const answer = () => call(s, wasm.x.trpcws_retry(s.cid, now(), attempt, ms, giveUp ? 1 : 0));
  // No delay (0, negative, NaN) still waits for a timer, as the
  // reference's sleep(0) does: Go dials at once, and a URL that fails
  // without I/O (a refused loopback port fails in a microtask, a
  // throwing url function at once) would else retry in a loop that never
  // lets the event loop run.
  if (giveUp || ms > 0) schedule(answer);
  else setTimeout(() => schedule(answer), 0);
}

/**
 * The server refused the credentials (refresh number attempt): the user's
 * refreshAuth runs here, outside any Go call, with the reason ({error,
 * closeCode} when the server closed the socket); once it settles Go hears
 * how (0: resolved, else the handle of the TRPCWebSocketAuthRefreshError
 * holding what it threw or rejected with, which Go's AuthRefreshError
 * stands for).
 */
export function refreshAuth(s, attempt, closeCode, errText) {
  const desc = errText === undefined ? undefined : JSON.parse(errText);
  let error = valueFromDesc(desc);
  // A refused call's error as the call gets it: through the transformer of
  // the latest call (its wsLink's; the server transforms its errors too),
  // or as sent if that transformer cannot read it.
  if (desc?.t === 'trpc' && s.transformer) {
    const e = errorFromDesc(desc, s.transformer);
    if (!(e.cause instanceof TransformResultError)) error = e;
  }
  const reason = { error };
  if (closeCode) reason.closeCode = closeCode;
  let done;
  try {
    done = Promise.resolve(s.opts.refreshAuth(reason));
  } catch (err) {
    done = Promise.reject(err);
  }
  done
    .then(
      () => 0,
      (err) => keepCause(new TRPCWebSocketAuthRefreshError(err, reason)),
    )
    .then((cause) => schedule(() => call(s, wasm.x.trpcws_auth(s.cid, now(), attempt, cause))));
}

/** An OutNote at record number i: what happened, for onEvent (and console.debug with debug). */
export function note(s, i, frame) {
  const event = { type: NOTES[wasm.num(i + 1)] ?? 'unknown', at: Date.now() };
  const sock = wasm.num(i + 2);
  const id = wasm.num(i + 3);
  if (event.type === 'attempt') {
    event.attempt = wasm.num(i + 4);
    event.delayMs = wasm.num(i + 5);
  }
  if (sock) event.socket = sock;
  if (id) event.requestId = id;
  if (event.type === 'close') event.code = wasm.num(i + 6);
  const desc = wasm.ref(i + 7, frame);
  if (desc !== undefined) event.error = valueFromDesc(JSON.parse(desc));
  emit(s, event);
}
