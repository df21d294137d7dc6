// The public client createTRPCWebSocket returns (the surface of
// @trpc/client's createWSClient). Its state is one session object, which
// the files below work on, one job each:
//
//   requests.js    the request manager: request(), giving calls to Go, cancelling
//   dispatch.js    calls into Go and the records that come back
//   delivery.js    results, events and errors to observers, through the transformer
//   callbacks.js   the user's retry callbacks and onEvent notes
//   state.js       connectionState changes, and onEvent hearing of them
//   connection.js  the sockets Go asked for, their reports, the timer, the network
//   writes.js      frames to the sockets: write scheduling, markers, the encoder
//   handoff.js     early start (early.js) and Go taking over from it
import { STATES } from './constants.js';
import { loadFailure } from './errors.js';
import { autoInit, loadError, schedule, wasm, whenLoadFails } from './load.js';
import { announceLoadFailure } from './loaderror.js';
import { behaviorSubject } from './observable.js';
import { checkOptions, noWebSocketMessage } from './options.js';
import { call } from './dispatch.js';
import { socketOwner } from './connection.js';
import { create, earlyStart } from './handoff.js';
import { failAll, request } from './requests.js';
import { now } from './host.js';

/**
 * The client createTRPCWebSocket returns: the same surface as
 * @trpc/client's createWSClient (request, close, connectionState,
 * connection).
 */
export class TRPCWebSocketClient {
  // The session (see newSession). It holds nothing that points back at this
  // object: the FinalizationRegistry that frees the Go client watches this
  // object, not the session that sockets and timers keep alive.
  #s;

  constructor(opts) {
    const cfg = checkOptions(opts);
    if (opts.WebSocket === undefined && opts.createWebSocket === undefined && typeof globalThis.WebSocket !== 'function') {
      throw new Error(noWebSocketMessage());
    }
    const s = newSession(opts, cfg);
    this.#s = s;
    /** The connection state: {type:'state', state, error}. */
    this.connectionState = s.connectionState;
    const forget = whenLoadFails(this);
    if (loadError) {
      // Made after the module failed to load: it says so as the clients waiting then did.
      s.failed = loadError;
      const err = loadError;
      queueMicrotask(() => announceLoadFailure(s, err));
    }
    if (!wasm && !loadError && cfg.earlyStart) s.early = earlyStart(s);
    schedule(() => {
      forget();
      create(s, this);
    });
    autoInit();
  }

  /** The module failed to load: every call fails with it, close() resolves. */
  _loadFailed(err) {
    const s = this.#s;
    s.failed = err;
    s.early?.abandon();
    s.early = null;
    announceLoadFailure(s, err);
    failAll(s, loadFailure(err));
    for (const resolve of s.closeWaiters.splice(0)) resolve();
  }

  /**
   * Sends an operation; the observable emits {result} envelopes like
   * @trpc/client's createWSClient().request does. Each subscription to it
   * is a new request.
   */
  request(args) {
    return request(this.#s, args);
  }

  /**
   * Closes the client: completes subscriptions, fails unsent requests, waits
   * for requests in flight, closes the socket. A later request reconnects.
   */
  close() {
    const s = this.#s;
    return new Promise((resolve) => {
      if (s.failed) {
        resolve();
        return;
      }
      s.closeWaiters.push(resolve);
      schedule(() => call(s, wasm.x.trpcws_close(s.cid, now())));
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
    for (const sock of this.#s.withWs) {
      newest = sock;
      if (sock.phase === 'open') open = sock;
    }
    return (open ?? newest)?.view() ?? null;
  }

  /**
   * Reconnects now: in backoff, attempts at once; when connected, moves to
   * a new socket make-before-break, as on the server's reconnect request.
   */
  reconnect() {
    const s = this.#s;
    schedule(() => call(s, wasm.x.trpcws_reconnect(s.cid, now())));
  }

  /** Counters and the connection's state, read from the core. */
  stats() {
    const s = this.#s;
    if (!wasm || !s.cid) {
      // Before Go runs: what early start knows (its socket and calls).
      const e = s.early?.counts();
      return { state: s.connectionState.get().state, socketsOpened: e?.socketsOpened ?? 0, reconnects: 0, attempt: 0,
        queued: e?.queued ?? 0, inFlight: e?.inFlight ?? 0, subscriptions: e?.subscriptions ?? 0, framesIn: 0, framesOut: 0,
        bytesIn: 0, bytesOut: 0, lastPingRttMs: null, connectedAt: e?.connectedAt ?? null };
    }
    const p = wasm.x.trpcws_stats(s.cid);
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
}

/** One client's state, shared by the files that do its jobs. */
function newSession(opts, cfg) {
  const s = {
    opts,
    cfg,
    cid: 0, // the Go client's id, once created
    reqs: new Map(), // handle → request, until Go forgot it
    socks: new Map(), // Go socket id → Socket
    withWs: new Set(), // Sockets whose WebSocket exists and has not fired close, oldest first
    timer: undefined, // the core's deadline
    closeWaiters: [], // close() promises waiting for Go's REC_CLOSED
    failed: null, // why the module failed to load
    encoder: cfg.encoder, // experimental_encoder, or undefined: JSON text frames
    decoded: undefined, // with an encoder: the decoded message of the running Message call
    received: undefined, // with an encoder: that message as it arrived (for frame errors)
    early: null, // answers the first calls while the module loads (early.js), until create
    spare: null, // the early socket, still connecting when Go started: the next dial takes it
    handingOff: false, // Go's first records: true: the state early start showed is not repeated; 'quiet': no state shown
    connectionState: behaviorSubject({ type: 'state', state: cfg.lazy ? 'idle' : 'connecting', error: null }),
    owner: null, // what this client's sockets see of it (see Socket)
    transformer: undefined, // the latest call's (its wsLink's): refreshAuth's reason is read with it
  };
  s.owner = socketOwner(s);
  return s;
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
