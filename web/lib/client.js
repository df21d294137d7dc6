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
  NOTES,
  REC_NOTE,
  REC_RETRY,
  REC_URL,
  REC_WRITE,
  START_INPUT,
  START_LAST_EVENT_ID,
  START_STARTED,
  REF_FRAME,
  STATES,
} from './constants.js';
import { envelopeOf, messageOf } from './encoder.js';
import { callErrorFromDesc, clientError, errorFromDesc, loadFailure, TransformResultError, TRPCWebSocketFrameError, valueFromDesc } from './errors.js';
import { callComplete, callError, callNext, callUserCallback, now, reportInternal } from './host.js';
import { getTransformer } from './link.js';
import { autoInit, loadError, registerClient, schedule, wasm, whenLoadFails } from './load.js';
import { behaviorSubject, observable } from './observable.js';
import { checkOptions, exponentialBackoff, NO_WEBSOCKET } from './options.js';
import { EarlyStart } from './early.js';
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
  #received = undefined; // with an encoder: that message as it arrived (for frame errors)
  #early = null; // answers the first calls while the module loads (early.js), until #create
  #spare = null; // the early socket, still connecting when Go started: the next dial takes it
  #handingOff = false; // Go's first records: the state early start showed is not repeated

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
      wsCreated: (sock) => this.#wsCreated(sock),
      wsClosed: (sock) => this.#withWs.delete(sock),
      run: schedule,
    };
    /** The connection state: {type:'state', state, error}. */
    this.connectionState = behaviorSubject({
      type: 'state',
      state: cfg.lazy ? 'idle' : 'connecting',
      error: null,
    });
    const forget = whenLoadFails(this);
    if (loadError) this.#failed = loadError;
    if (!wasm && !loadError && cfg.earlyStart) {
      this.#early = new EarlyStart({
        opts,
        lazy: cfg.lazy,
        hasParams: cfg.hasParams,
        state: (state, error) => this.connectionState.next({ type: 'state', state, error }),
        finished: (req) => this.#reqs.delete(req.handle),
        frameError: (err) => this.#frameError(err),
        wsCreated: this.#owner.wsCreated,
        wsClosed: this.#owner.wsClosed,
      });
      if (!cfg.lazy) this.#early.open();
    }
    schedule(() => {
      forget();
      this.#create();
    });
    autoInit();
  }

  #create() {
    const early = this.#early?.handOff();
    this.#early = null;
    const n = wasm.writeNumbers(this.#cfg.record);
    const out = wasm.done(wasm.x.trpcws_new(now(), n, early?.open ? Math.max(early.lastWire, 1) : 0));
    this.#cid = wasm.num(1);
    registerClient(this.#cid, this);
    if (this.#cfg.networkAware) this.#watchNetwork();
    this.#failed = null;
    if (early?.sock) {
      early.sock.owner = this.#owner;
      if (early.open) {
        early.sock.id = 1; // core.Config.Adopt: the adopted socket is Go's socket 1
        this.#socks.set(1, early.sock);
      } else {
        this.#spare = early.sock;
      }
    }
    this.#handingOff = !!early;
    try {
      this.#apply(out, null);
    } finally {
      this.#handingOff = false;
    }
    if (early) this.#takeOver(early);
  }

  /** Go takes the calls early start sent (awaiting answers) and those it has not sent. */
  #takeOver({ sent, unsent, reconnect }) {
    for (const [wire, req] of sent) this.#start(req, wire);
    for (const req of unsent) this.#start(req);
    if (reconnect) this.#call(wasm.x.trpcws_reconnect(this.#cid, now()));
    // A socket still connecting that no dial took (lazy, its calls gone).
    const spare = this.#spare;
    this.#spare = null;
    spare?.close(1000, true);
  }

  /**
   * Browsers: online/offline, a page shown again (visibilitychange to
   * visible, pageshow from the back/forward cache) reach the core, which
   * retries at once or checks the socket with a PING. Weakly held: the
   * listeners do not keep the client alive.
   */
  #watchNetwork() {
    const win = globalThis.window;
    const doc = globalThis.document;
    if (!win || typeof win.addEventListener !== 'function' || !doc) return;
    const ref = typeof WeakRef === 'function' ? new WeakRef(this) : { deref: () => this };
    const tell = (what) => () => {
      const client = ref.deref();
      if (client) client.#network(what);
    };
    win.addEventListener('online', tell(1));
    win.addEventListener('offline', tell(0));
    win.addEventListener('pageshow', (e) => e.persisted && tell(2)());
    doc.addEventListener('visibilitychange', () => doc.visibilityState === 'visible' && tell(2)());
    if (globalThis.navigator?.onLine === false) this.#network(0);
  }

  #network(what) {
    schedule(() => this.#call(wasm.x.trpcws_network(this.#cid, now(), what)));
  }

  _loadFailed(err) {
    this.#failed = err;
    this.#early?.abandon();
    this.#early = null;
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
      const timeoutMs = op.context?.timeoutMs;
      if (timeoutMs !== undefined && timeoutMs !== null && (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs))) {
        observer.error(clientError(new TypeError(`trpcws: context.timeoutMs must be a number of milliseconds, got ${String(timeoutMs)}`)));
        return;
      }
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
        // the call's own request timeout: 0 keeps requestTimeoutMs; Infinity or <= 0: none
        timeoutMs: typeof timeoutMs !== 'number' ? 0 : timeoutMs > 0 && timeoutMs !== Infinity ? timeoutMs : -1,
        lastEventId: lastEventId === undefined || lastEventId === null ? undefined : String(lastEventId),
        transformer,
        observer,
        done: false, // nothing more goes to the observer
        inGo: false,
      };
      this.#reqs.set(req.handle, req);
      if (!this.#early?.take(req)) schedule(() => this.#start(req));
      let onAbort;
      if (signal) {
        onAbort = () => observer.complete();
        signal.addEventListener('abort', onAbort, { once: true });
      }
      return () => {
        if (signal) signal.removeEventListener('abort', onAbort);
        if (req.done) return;
        req.done = true;
        this.#early?.cancel(req);
        schedule(() => this.#cancel(req));
        // As the reference: unsubscribing completes the request.
        observer.complete();
      };
    });
  }

  /** Gives req to Go; sentAs: the wire id early start sent it under (Go adopts it). */
  #start(req, sentAs = 0) {
    if (req.done) {
      this.#reqs.delete(req.handle);
      return;
    }
    let flags = req.hasInput ? START_INPUT : 0;
    if (req.earlyStarted) flags |= START_STARTED;
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
          ? x.trpcws_start_sent(this.#cid, now(), req.handle, METHODS[req.type], pathLen, n, flags, sentAs)
          : x.trpcws_start(this.#cid, now(), req.handle, METHODS[req.type], pathLen, n, flags, req.timeoutMs),
      );
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
          if (req) callNext(req.observer, { result: { type: 'started' } });
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
            if (wasm.num(i + 2) === 1) callNext(req.observer, { result: { type: 'stopped' } });
            callComplete(req.observer);
          }
          break;
        }
        case REC_ERROR: {
          const req = this.#final(wasm.num(i + 1));
          if (req) {
            callError(req.observer, callErrorFromDesc(JSON.parse(wasm.ref(i + 2, frame)), req.transformer));
          }
          break;
        }
        case REC_STATE: {
          const desc = wasm.ref(i + 2, frame);
          const state = STATES[wasm.num(i + 1)];
          if (this.#handingOff && desc === undefined && this.connectionState.get().state === state) break;
          const error = desc === undefined ? null : errorFromDesc(JSON.parse(desc), null);
          this.connectionState.next({ type: 'state', state, error });
          break;
        }
        case REC_FRAME_ERR: {
          // An undecodable frame is dropped; the connection carries on.
          const desc = JSON.parse(wasm.ref(i + 2, frame));
          const received = this.#received ?? frame;
          this.#frameError(new TRPCWebSocketFrameError(desc?.message ?? 'trpcws: malformed server frame', received));
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
          this.#retry(wasm.num(i + 1), wasm.ref(i + 2, frame));
          break;
        case REC_NOTE:
          this.#note(i, frame);
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
      callError(req.observer, clientError(new TransformResultError()));
      return;
    }
    callNext(req.observer, { result });
    callComplete(req.observer);
  }

  #deliverEvent(req, i, frame) {
    const eventId = wasm.ref(i + 3, frame);
    const result = eventId === undefined ? { type: 'data', data: undefined } : { type: 'data', id: eventId, data: undefined };
    try {
      result.data = req.transformer.output.deserialize(this.#data(i, frame));
    } catch {
      // As the reference: the subscription fails; Go is told to stop it.
      req.done = true;
      callError(req.observer, clientError(new TransformResultError()));
      schedule(() => this.#cancel(req));
      return;
    }
    callNext(req.observer, { result });
  }

  /**
   * The core asks how long attempt number attempt waits: the user's
   * retryDelayMs answers (run here, outside any Go call); a throw gives
   * the default backoff and is rethrown asynchronously, as the reference
   * does with a throwing callback; NaN waits 0.
   */
  #retry(attempt, errText) {
    const opts = this.#owner.opts;
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
    const answer = () => this.#call(wasm.x.trpcws_retry(this.#cid, now(), attempt, ms, giveUp ? 1 : 0));
    // No delay (0, negative, NaN) still waits for a timer, as the
    // reference's sleep(0) does: Go dials at once, and a URL that fails
    // without I/O (a refused loopback port fails in a microtask, a
    // throwing url function at once) would else retry in a loop that never
    // lets the event loop run.
    if (giveUp || ms > 0) schedule(answer);
    else setTimeout(() => schedule(answer), 0);
  }

  /** An OutNote: what happened, for onEvent (and console.debug with debug). */
  #note(i, frame) {
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
    const { onEvent } = this.#owner.opts;
    if (onEvent) callUserCallback(() => onEvent(event));
    if (this.#cfg.debug) console.debug('trpcws', event);
  }

  /**
   * Reconnects now: in backoff, attempts at once; when connected, moves to
   * a new socket make-before-break, as on the server's reconnect request.
   */
  reconnect() {
    schedule(() => this.#call(wasm.x.trpcws_reconnect(this.#cid, now())));
  }

  /** Counters and the connection's state, read from the core. */
  stats() {
    if (!wasm || !this.#cid) {
      // Before Go runs: what early start knows (its socket and calls).
      const e = this.#early?.counts();
      return { state: this.connectionState.get().state, socketsOpened: e?.socketsOpened ?? 0, reconnects: 0, attempt: 0,
        queued: e?.queued ?? 0, inFlight: e?.inFlight ?? 0, subscriptions: e?.subscriptions ?? 0, framesIn: 0, framesOut: 0,
        bytesIn: 0, bytesOut: 0, lastPingRttMs: null, connectedAt: e?.connectedAt ?? null };
    }
    const p = wasm.x.trpcws_stats(this.#cid);
    wasm.view();
    const n = (k) => (p ? wasm.f64[(p >> 3) + k - 1] : 0);
    return {
      state: STATES[n(1)],
      socketsOpened: n(2),
      reconnects: n(3),
      attempt: n(4),
      queued: n(5),
      inFlight: n(6),
      subscriptions: n(7),
      framesIn: n(8),
      framesOut: n(9),
      bytesIn: n(10),
      bytesOut: n(11),
      lastPingRttMs: n(12) < 0 ? null : n(12),
      connectedAt: n(13) > 0 ? n(13) : null,
    };
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
    const spare = this.#spare;
    if (spare) {
      // The socket early start began: its open (or failure) reaches Go.
      this.#spare = null;
      spare.id = id;
      this.#socks.set(id, spare);
      return;
    }
    const sock = new Socket(id, this.#owner);
    this.#socks.set(id, sock);
    sock.start();
  }

  /**
   * sock's WebSocket exists. The ones that failed while CONNECTING, which
   * fire no close event in Node, are dropped now: only the newest one was
   * the connection.
   */
  #wsCreated(sock) {
    for (const old of this.#withWs) if (old.failedConnecting) this.#withWs.delete(old);
    this.#withWs.add(sock);
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
    this.#received = data;
    try {
      const n = wasm.write(envelope);
      this.#call(wasm.x.trpcws_message(this.#cid, now(), sock.id, n, n === envelope.length ? 1 : 0), envelope);
    } finally {
      this.#decoded = undefined;
      this.#received = undefined;
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
    if (!sock.transmitTask) {
      // made once per socket
      const transmit = () => {
        sock.writeQueued = false;
        if (!sock.ended) this.#call(wasm.x.trpcws_transmit(this.#cid, sock.id));
        if (sock.closeAfterWrite) sock.closeNow(sock.closeAfterWrite, false);
      };
      sock.transmitTask = () => schedule(transmit);
    }
    queueMicrotask(sock.transmitTask);
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
    sock.send(this.#splice(frame));
  }

  /** With an encoder: the value a marker stands for (an input, or a socket's connection params). */
  #markerValue(key) {
    if (key[0] === 'p') return this.#socks.get(Number(key.slice(1)))?.paramsValue;
    return this.#reqs.get(Number(key))?.input;
  }

  /** Replaces the markers Go left ("\0key\0") with the JSON text they stand for. */
  #splice(frame) {
    let at = frame.indexOf('\0');
    if (at < 0) return frame;
    let out = '';
    let from = 0;
    do {
      const end = frame.indexOf('\0', at + 1);
      if (end < 0) break; // not a marker: left as it is
      const key = frame.slice(at + 1, end);
      const value =
        key[0] === 'p' ? this.#socks.get(Number(key.slice(1)))?.params : this.#reqs.get(Number(key))?.inputJSON;
      out += frame.slice(from, at) + (value ?? 'null');
      from = end + 1;
      at = frame.indexOf('\0', from);
    } while (at >= 0);
    return out + frame.slice(from);
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
