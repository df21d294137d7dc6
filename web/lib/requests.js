// The request manager: request() checks and records a call, gives it to
// early start or to Go, and cancels it; the request table is what the
// records Go sends back are matched against.
import { METHODS, START_INPUT, START_LAST_EVENT_ID, START_NO_RESUBSCRIBE, START_STARTED } from './constants.js';
import { clientError, loadFailure } from './errors.js';
import { callUserCallback, now } from './host.js';
import { getTransformer } from './link.js';
import { schedule, wasm } from './load.js';
import { observable } from './observable.js';
import { apply, call } from './dispatch.js';

let handleSeq = 0;

/** client.request: the observable of one call's {result} envelopes. */
export function request(s, { op, transformer = getTransformer(undefined), lastEventId }) {
  return observable((observer) => {
    const { type, path, input, signal } = op;
    const timeoutMs = op.context?.timeoutMs;
    if (timeoutMs !== undefined && timeoutMs !== null && (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs))) {
      observer.error(clientError(new TypeError(`trpcws: context.timeoutMs must be a number of milliseconds, got ${String(timeoutMs)}`)));
      return;
    }
    const resubscribe = op.context?.resubscribe;
    if (resubscribe !== undefined && typeof resubscribe !== 'boolean') {
      observer.error(clientError(new TypeError(`trpcws: context.resubscribe must be a boolean, got ${String(resubscribe)}`)));
      return;
    }
    if (s.failed) {
      observer.error(loadFailure(s.failed));
      return;
    }
    if (!(type in METHODS)) {
      observer.error(clientError(new TypeError(`trpcws: unknown operation type ${String(type)}`)));
      return;
    }
    let serialized;
    let inputJSON;
    try {
      serialized = transformer.input.serialize(input);
      // With an encoder the value itself is encoded, as the reference does.
      if (!s.encoder) inputJSON = serialized === undefined ? undefined : JSON.stringify(serialized);
    } catch (err) {
      observer.error(clientError(err));
      return;
    }
    if (signal?.aborted) {
      observer.complete();
      return;
    }
    const req = {
      handle: ++handleSeq,
      type,
      path: String(path),
      inputJSON,
      input: s.encoder ? serialized : undefined,
      // With an encoder every call carries its input's marker, undefined
      // included (encoded alike): a frame the encoder refuses names its calls.
      hasInput: serialized !== undefined || !!s.encoder,
      // the call's own request timeout: 0 keeps requestTimeoutMs; Infinity or <= 0: none
      timeoutMs: typeof timeoutMs !== 'number' ? 0 : timeoutMs > 0 && timeoutMs !== Infinity ? timeoutMs : -1,
      lastEventId: lastEventId === undefined || lastEventId === null ? undefined : String(lastEventId),
      // context.resubscribe false: ended with NOT_RESUBSCRIBED rather than sent again (core.Call.NoResubscribe)
      noResubscribe: type === 'subscription' && resubscribe === false,
      transformer,
      observer,
      done: false, // nothing more goes to the observer
      inGo: false,
    };
    s.reqs.set(req.handle, req);
    s.transformer = transformer; // what refreshAuth's reason is read with (callbacks.js)
    if (!s.early?.take(req)) schedule(() => start(s, req));
    let onAbort;
    if (signal) {
      onAbort = () => observer.complete();
      signal.addEventListener('abort', onAbort, { once: true });
    }
    return () => {
      if (signal) signal.removeEventListener('abort', onAbort);
      if (req.done) return;
      req.done = true;
      s.early?.cancel(req);
      schedule(() => cancel(s, req));
      // As the reference: unsubscribing completes the request.
      observer.complete();
    };
  });
}

/** Gives req to Go; sentAs: the wire id early start sent it under (Go adopts it). */
export function start(s, req, sentAs = 0) {
  if (req.done) {
    s.reqs.delete(req.handle);
    return;
  }
  let flags = req.hasInput ? START_INPUT : 0;
  if (req.earlyStarted) flags |= START_STARTED;
  if (req.noResubscribe) flags |= START_NO_RESUBSCRIBE;
  let out;
  try {
    // One buffer for both strings: a second allocation would lose the first.
    wasm.input((req.path.length + (req.lastEventId?.length ?? 0)) * 3);
    const pathLen = wasm.write(req.path);
    let n = pathLen;
    if (req.lastEventId !== undefined) {
      flags |= START_LAST_EVENT_ID;
      n += wasm.write(req.lastEventId, pathLen);
    }
    const x = wasm.x;
    out = wasm.done(
      sentAs
        ? x.trpcws_start_sent(s.cid, now(), req.handle, METHODS[req.type], pathLen, n, flags, sentAs)
        : x.trpcws_start(s.cid, now(), req.handle, METHODS[req.type], pathLen, n, flags, req.timeoutMs),
    );
  } catch (err) {
    s.reqs.delete(req.handle);
    req.done = true;
    callUserCallback(() => req.observer.error(clientError(err)));
    return;
  }
  req.inGo = true;
  apply(s, out, null);
}

/** The caller gave req up: Go forgets it (a subscription is stopped). */
export function cancel(s, req) {
  s.reqs.delete(req.handle);
  if (!req.inGo) return;
  req.inGo = false;
  call(s, wasm.x.trpcws_cancel(s.cid, now(), req.handle));
}

/** The live request for handle h, if it still wants records. */
export function live(s, h) {
  const req = s.reqs.get(h);
  return req && !req.done ? req : null;
}

/** Like live, for the request's last record: Go has forgotten it. */
export function final(s, h) {
  const req = s.reqs.get(h);
  if (!req) return null;
  s.reqs.delete(h);
  req.inGo = false;
  if (req.done) return null;
  req.done = true;
  return req;
}

/** Every request fails with error (the module failed to load). */
export function failAll(s, error) {
  for (const req of [...s.reqs.values()]) {
    s.reqs.delete(req.handle);
    if (req.done) continue;
    req.done = true;
    callUserCallback(() => req.observer.error(error));
  }
}
