// The client createTRPCWebSocket returns: requests and their observers, the
// calls into Go and the records that come back, the timer, close().
import {
  METHODS,
  REC_CLIENT,
  REC_CLOSE_SOCK,
  REC_CLOSED,
  REC_COMPLETE,
  REC_DEADLINE,
  REC_DIAL,
  REC_ERROR,
  REC_EVENT,
  REC_FRAME,
  REC_FRAME_ERR,
  REC_RESULT,
  REC_STARTED,
  REC_STATE,
  REC_RETRY,
  REC_URL,
  REC_WRITE,
  START_INPUT,
  START_LAST_EVENT_ID,
  REF_FRAME,
  STATES,
} from './constants.js';
import { envelopeOf, messageOf } from './encoder.js';
import { clientError, errorFromDesc, TRPCWebSocketFrameError, loadFailure, TransformResultError } from './errors.js';
import { callUserCallback, now, reportInternal } from './host.js';
import { getTransformer } from './link.js';
import { autoInit, loadError, registerClient, schedule, wasm, whenLoadFails } from './load.js';
import { behaviorSubject, observable } from './observable.js';
import { checkOptions, exponentialBackoff, NO_WEBSOCKET } from './options.js';
import { Socket } from './socket.js';

let handleSeq = 0;

/**
 * The client createTRPCWebSocket returns: the same surface as
 * @trpc/client's createWSClient (request, close, connectionState,
 * connection).
 */
export class TRPCWebSocketClient {
  #cfg;
  #cid = 0;
  #reqs = new Map(); // handle → request, until Go forgot it
  #socks = new Map(); // Go socket id → Socket
  #timer = undefined;
  #closeWaiters = [];
  #withWs = new Set(); // Sockets whose WebSocket exists and has not fired close, oldest first
  #failed = null;
  #owner; // what this client's sockets see of it (see Socket)
  #encoder; // experimental_encoder, or undefined: JSON text frames
  #decoded = undefined; // with an encoder: the decoded message of the running Message call

  constructor(opts) {
    const cfg = checkOptions(opts);
    if (opts.WebSocket === undefined && typeof globalThis.WebSocket !== 'function') throw new Error(NO_WEBSOCKET);
    this.#cfg = cfg;
    this.#encoder = cfg.encoder;
    this.#owner = {
      opts,
      encoder: cfg.encoder,
      fullURL: (url) => this.#fullURL(url),
      socketOpened: (sock, hasParams) => this.#socketOpened(sock, hasParams),
      socketMessage: (sock, data) => this.#socketMessage(sock, data),
      socketEnded: (sock, code, cause) => this.#socketEnded(sock, code, cause),
      socketSetupFailed: (sock, cause) => this.#socketSetupFailed(sock, cause),
      wsCreated: (sock) => this.#withWs.add(sock),
      wsClosed: (sock) => this.#withWs.delete(sock),
    };
    /** The connection state: {type:'state', state, error}. */
    this.connectionState = behaviorSubject({
      type: 'state',
      state: cfg.lazy ? 'idle' : 'connecting',
      error: null,
    });
    const forget = whenLoadFails(this);
    if (loadError) this.#failed = loadError;
    schedule(() => {
      forget();
      this.#create();
    });
    autoInit();
  }

  #create() {
    const n = wasm.writeNumbers(this.#cfg.record);
    const out = wasm.done(wasm.x.trpcws_new(now(), n));
    this.#cid = wasm.num(1);
    registerClient(this.#cid, this);
    this.#failed = null;
    this.#apply(out, null);
  }

  _loadFailed(err) {
    this.#failed = err;
    const error = loadFailure(err);
    for (const req of [...this.#reqs.values()]) {
      this.#reqs.delete(req.handle);
      if (req.done) continue;
      req.done = true;
      callUserCallback(() => req.observer.error(error));
    }
    for (const resolve of this.#closeWaiters.splice(0)) resolve();
  }

  /**
   * Sends an operation; the observable emits {result} envelopes like
   * @trpc/client's createWSClient().request does. Each subscription to it
   * is a new request.
   */
  request({ op, transformer = getTransformer(undefined), lastEventId }) {
    return observable((observer) => {
      const { type, path, input, signal } = op;
      if (this.#failed) {
        observer.error(loadFailure(this.#failed));
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
        if (!this.#encoder) inputJSON = serialized === undefined ? undefined : JSON.stringify(serialized);
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
        input: this.#encoder ? serialized : undefined,
        hasInput: serialized !== undefined,
        lastEventId: lastEventId === undefined || lastEventId === null ? undefined : String(lastEventId),
        transformer,
        observer,
        done: false, // nothing more goes to the observer
        inGo: false,
      };
      this.#reqs.set(req.handle, req);
      schedule(() => this.#start(req));
      const onAbort = () => observer.complete();
      signal?.addEventListener('abort', onAbort, { once: true });
      return () => {
        signal?.removeEventListener('abort', onAbort);
        if (req.done) return;
        req.done = true;
        schedule(() => this.#cancel(req));
        // As the reference: unsubscribing completes the request.
        observer.complete();
      };
    });
  }

  #start(req) {
    if (req.done) {
      this.#reqs.delete(req.handle);
      return;
    }
    let flags = req.hasInput ? START_INPUT : 0;
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
      out = wasm.done(wasm.x.trpcws_start(this.#cid, now(), req.handle, METHODS[req.type], pathLen, n, flags));
    } catch (err) {
      this.#reqs.delete(req.handle);
      req.done = true;
      callUserCallback(() => req.observer.error(clientError(err)));
      return;
    }
    req.inGo = true;
    this.#apply(out, null);
  }

  #cancel(req) {
    this.#reqs.delete(req.handle);
    if (!req.inGo) return;
    req.inGo = false;
    this.#call(wasm.x.trpcws_cancel(this.#cid, now(), req.handle));
  }

  /** Runs the records of a call; a failed call is reported. */
  #call(n, frame = null) {
    try {
      n = wasm.done(n);
    } catch (err) {
      reportInternal(err);
      return;
    }
    this.#apply(n, frame);
  }

  /**
   * Closes the client: completes subscriptions, fails unsent requests, waits
   * for requests in flight, closes the socket. A later request reconnects.
   */
  close() {
    return new Promise((resolve) => {
      if (this.#failed) {
        resolve();
        return;
      }
      this.#closeWaiters.push(resolve);
      schedule(() => this.#call(wasm.x.trpcws_close(this.#cid, now())));
    });
  }

  /**
   * The socket in use and its state, as the reference reports it: null
   * while there is no WebSocket (before the first, while the URL resolves,
   * after the last one closed), else {id, state, ws} of the newest socket
   * that opened, or of the newest one while none has.
   */
  get connection() {
    let newest = null;
    let open = null;
    for (const sock of this.#withWs) {
      newest = sock;
      if (sock.phase === 'open') open = sock;
    }
    return (open ?? newest)?.view() ?? null;
  }

  // ---------------------------------------------------------- records

  /** Carries out the n record numbers of the last call. */
  #apply(n, frame) {
    for (let i = 0; i < n; i += wasm.size(i)) {
      switch (wasm.num(i)) {
        case REC_CLIENT:
          break;
        case REC_DIAL:
          this.#dial(wasm.num(i + 1));
          break;
        case REC_WRITE:
          this.#wantWrite(wasm.num(i + 1));
          break;
        case REC_CLOSE_SOCK:
          this.#closeSocket(wasm.num(i + 1), wasm.num(i + 2), wasm.num(i + 3) === 1);
          break;
        case REC_RESULT: {
          const req = this.#final(wasm.num(i + 1));
          if (req) this.#deliverResult(req, i + 2, frame);
          break;
        }
        case REC_STARTED: {
          const req = this.#live(wasm.num(i + 1));
          if (req) callUserCallback(() => req.observer.next({ result: { type: 'started' } }));
          break;
        }
        case REC_EVENT: {
          const req = this.#live(wasm.num(i + 1));
          if (req) this.#deliverEvent(req, i + 2, frame);
          break;
        }
        case REC_COMPLETE: {
          const req = this.#final(wasm.num(i + 1));
          if (req) {
            // The core says why it ended: stopped by the server (the reference passes a
            // "stopped" result first), or completed by close().
            if (wasm.num(i + 2) === 1) callUserCallback(() => req.observer.next({ result: { type: 'stopped' } }));
            callUserCallback(() => req.observer.complete());
          }
          break;
        }
        case REC_ERROR: {
          const req = this.#final(wasm.num(i + 1));
          if (req) {
            const err = errorFromDesc(JSON.parse(wasm.ref(i + 2, frame)), req.transformer);
            callUserCallback(() => req.observer.error(err));
          }
          break;
        }
        case REC_STATE: {
          const desc = wasm.ref(i + 2, frame);
          const state = STATES[wasm.num(i + 1)];
          const error = desc === undefined ? null : errorFromDesc(JSON.parse(desc), null);
          this.connectionState.next({ type: 'state', state, error });
          break;
        }
        case REC_FRAME_ERR: {
          // An undecodable frame is dropped; the connection carries on.
          const desc = JSON.parse(wasm.ref(i + 2, frame));
          this.#frameError(new TRPCWebSocketFrameError(desc?.message ?? 'trpcws: malformed server frame', frame));
          break;
        }
        case REC_CLOSED: {
          // Resolved a task later: the promises of the calls settled above
          // (through @trpc/client's chains of microtasks) settle first.
          const waiters = this.#closeWaiters.splice(0);
          if (waiters.length) setTimeout(() => waiters.forEach((resolve) => resolve()));
          break;
        }
        case REC_FRAME:
          this.#send(wasm.num(i + 1), wasm.text(wasm.num(i + 2), wasm.num(i + 3)));
          break;
        case REC_DEADLINE:
          this.#arm(wasm.num(i + 1));
          break;
        case REC_URL:
          break;
        case REC_RETRY:
          this.#retry(wasm.num(i + 1));
          break;
      }
    }
  }

  /** The live request for handle h, if it still wants records. */
  #live(h) {
    const req = this.#reqs.get(h);
    return req && !req.done ? req : null;
  }

  /** Like #live, for the request's last record: Go has forgotten it. */
  #final(h) {
    const req = this.#reqs.get(h);
    if (!req) return null;
    this.#reqs.delete(h);
    req.inGo = false;
    if (req.done) return null;
    req.done = true;
    return req;
  }

  /**
   * The value of the data ref at record number i, parsed from the text it
   * points at (JSON.parse, as the reference parses frames); undefined when
   * absent (a void result).
   */
  #data(i, frame) {
    if (this.#decoded !== undefined && wasm.num(i) === REF_FRAME) return this.#decoded.result.data;
    const text = wasm.ref(i, frame);
    return text === undefined ? undefined : JSON.parse(text);
  }

  #deliverResult(req, i, frame) {
    const result = { type: 'data', data: undefined };
    try {
      result.data = req.transformer.output.deserialize(this.#data(i, frame));
    } catch {
      const err = clientError(new TransformResultError());
      callUserCallback(() => req.observer.error(err));
      return;
    }
    callUserCallback(() => req.observer.next({ result }));
    callUserCallback(() => req.observer.complete());
  }

  #deliverEvent(req, i, frame) {
    const eventId = wasm.ref(i + 3, frame);
    const result = eventId === undefined ? { type: 'data', data: undefined } : { type: 'data', id: eventId, data: undefined };
    try {
      result.data = req.transformer.output.deserialize(this.#data(i, frame));
    } catch {
      // As the reference: the subscription fails; Go is told to stop it.
      req.done = true;
      const err = clientError(new TransformResultError());
      callUserCallback(() => req.observer.error(err));
      schedule(() => this.#cancel(req));
      return;
    }
    callUserCallback(() => req.observer.next({ result }));
  }

  /**
   * The core asks how long attempt number attempt waits: the user's
   * retryDelayMs answers (run here, outside any Go call); a throw gives
   * the default backoff and is rethrown asynchronously, as the reference
   * does with a throwing callback; NaN waits 0.
   */
  #retry(attempt) {
    let ms;
    try {
      ms = Number(this.#owner.opts.retryDelayMs(attempt));
    } catch (err) {
      callUserCallback(() => {
        throw err;
      });
      ms = exponentialBackoff(attempt);
    }
    schedule(() => this.#call(wasm.x.trpcws_retry(this.#cid, now(), attempt, ms)));
  }

  #arm(at) {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (at < 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      schedule(() => this.#call(wasm.x.trpcws_tick(this.#cid, now())));
    }, Math.max(0, at - now()));
  }

  // ---------------------------------------------------------- sockets

  #dial(id) {
    const sock = new Socket(id, this.#owner);
    this.#socks.set(id, sock);
    sock.start();
  }

  /** The URL to open: url with what Go adds (connectionParams=1). */
  #fullURL(url) {
    wasm.done(wasm.x.trpcws_url(this.#cid, wasm.write(url)));
    return wasm.text(wasm.num(1), wasm.num(2));
  }

  // Socket reports, from the queue.

  #socketOpened(sock, hasParams) {
    this.#call(wasm.x.trpcws_opened(this.#cid, now(), sock.id, hasParams ? 1 : 0));
  }

  #socketMessage(sock, text) {
    if (sock.ended) return;
    if (this.#encoder && text !== 'PING' && text !== 'PONG') {
      this.#decodedMessage(sock, text);
      return;
    }
    const n = wasm.write(text);
    this.#call(wasm.x.trpcws_message(this.#cid, now(), sock.id, n, n === text.length ? 1 : 0), text);
  }

  /** With an encoder: decodes data and gives Go its envelope; the data refs mean the decoded data. */
  #decodedMessage(sock, data) {
    let envelope;
    try {
      this.#decoded = this.#encoder.decode(data);
      envelope = envelopeOf(this.#decoded) ?? 'null';
    } catch (err) {
      this.#decoded = undefined;
      this.#frameError(new TRPCWebSocketFrameError('trpcws: experimental_encoder could not decode a server frame', data, err));
      return;
    }
    try {
      const n = wasm.write(envelope);
      this.#call(wasm.x.trpcws_message(this.#cid, now(), sock.id, n, n === envelope.length ? 1 : 0), envelope);
    } finally {
      this.#decoded = undefined;
    }
  }

  /** A server frame was dropped: the app hears of it through onError; the connection carries on. */
  #frameError(err) {
    const onError = this.#owner.opts.onError;
    if (onError) callUserCallback(() => onError(err));
  }

  #socketSetupFailed(sock, cause) {
    this.#call(wasm.x.trpcws_setup_failed(this.#cid, now(), sock.id, cause));
  }

  #socketEnded(sock, code, cause) {
    this.#socks.delete(sock.id);
    this.#call(wasm.x.trpcws_closed(this.#cid, now(), sock.id, code, cause));
  }

  #wantWrite(id) {
    const sock = this.#socks.get(id);
    if (!sock || sock.writeQueued) return;
    sock.writeQueued = true;
    // Everything requested in this tick leaves in one frame.
    queueMicrotask(() =>
      schedule(() => {
        sock.writeQueued = false;
        if (!sock.ended) this.#call(wasm.x.trpcws_transmit(this.#cid, now(), sock.id));
        if (sock.closeAfterWrite) sock.closeNow(sock.closeAfterWrite, false);
      }),
    );
  }

  #send(id, frame) {
    const sock = this.#socks.get(id);
    if (!sock?.ws || sock.ended) return;
    if (this.#encoder && frame !== 'PING' && frame !== 'PONG') {
      // As the reference: PING and PONG stay text, the rest is encoded.
      let encoded;
      try {
        encoded = this.#encoder.encode(messageOf(frame, (key) => this.#markerValue(key)));
      } catch (err) {
        callUserCallback(() => {
          throw err;
        });
        return;
      }
      sock.send(encoded);
      return;
    }
    if (frame.includes('\0')) frame = this.#splice(frame);
    sock.send(frame);
  }

  /** With an encoder: the value a marker stands for (an input, or a socket's connection params). */
  #markerValue(key) {
    if (key[0] === 'p') return this.#socks.get(Number(key.slice(1)))?.paramsValue;
    return this.#reqs.get(Number(key))?.input;
  }

  /** Replaces the markers Go left with the JSON text they stand for. */
  #splice(frame) {
    const parts = frame.split('\0');
    for (let i = 1; i < parts.length; i += 2) {
      const key = parts[i];
      if (key[0] === 'p') {
        parts[i] = this.#socks.get(Number(key.slice(1)))?.params ?? 'null';
      } else {
        parts[i] = this.#reqs.get(Number(key))?.inputJSON ?? 'null';
      }
    }
    return parts.join('');
  }

  #closeSocket(id, code, abort) {
    const sock = this.#socks.get(id);
    if (!sock) return;
    if (abort) this.#socks.delete(id);
    sock.close(code, abort);
  }
}

/**
 * Creates a client: the same options and defaults as @trpc/client's
 * createWSClient (url, connectionParams, WebSocket, retryDelayMs, onOpen,
 * onError, onClose, lazy, keepAlive). Synchronous: calls made before the
 * WebAssembly module is ready wait for it.
 */
export function createTRPCWebSocket(opts) {
  return new TRPCWebSocketClient(opts);
}
