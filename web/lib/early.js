// Early start: while the WebAssembly module loads, a client opens its socket
// and answers its first queries and mutations from JavaScript, so that the
// first call does not wait for the module. Once the module runs, Go takes
// over the socket and the calls still in flight on it (core.Config.Adopt,
// Call.SentAs) and this engine retires. Only what the first moments of an
// app need is done here: subscriptions, calls with a timeout, a bounded
// queue, an encoder, keep-alive and reconnecting all wait for Go, as before.
import { callErrorFromDesc, clientError, errorFromDesc, TransformResultError, TRPCWebSocketFrameError } from './errors.js';
import { callUserCallback, reportInternal } from './host.js';
import { Socket } from './socket.js';

/** The code a socket whose connection params failed is closed with (core.CloseSetupFailed). */
const CLOSE_SETUP_FAILED = 3000;

const runNow = (task) => {
  try {
    task();
  } catch (err) {
    reportInternal(err);
  }
};

/** The URL with connectionParams=1 when the client has connection params (core.URLWithConnectionParams). */
export function urlWithConnectionParams(url) {
  return url + (url.includes('?') ? '&' : '?') + 'connectionParams=1';
}

/**
 * The engine of one client until its Go side exists. host is the client:
 *   opts, lazy, hasParams
 *   state(state, error)   sets connectionState
 *   finished(req)         the request got its final answer here
 *   frameError(err)       a server frame was dropped
 *   wsCreated(sock), wsClosed(sock)
 */
export class EarlyStart {
  #host;
  #owner;
  #sock = null; // the socket, until it ends or Go takes it
  #open = false; // the socket is open and its connection params were sent
  #queue = []; // calls waiting for the socket to open
  #inFlight = new Map(); // wire id → call sent and not yet answered
  #wire = 0; // the last wire id used
  #flushQueued = false;
  #done = false; // the socket failed, or Go took over: nothing more is taken
  #serverError = null; // the last id:null error on the socket
  #reconnect = false; // the server asked for a new connection

  constructor(host) {
    this.#host = host;
    this.#owner = {
      opts: host.opts,
      encoder: undefined,
      run: runNow,
      fullURL: (url) => (host.hasParams ? urlWithConnectionParams(url) : url),
      socketOpened: (sock, hasParams) => this.#opened(sock, hasParams),
      socketMessage: (sock, text) => this.#message(sock, text),
      socketEnded: (sock, code, cause) => this.#ended(sock, code, cause),
      socketSetupFailed: (sock, cause) => {
        sock.close(CLOSE_SETUP_FAILED, false);
        sock.ended_(0, cause);
      },
      wsCreated: host.wsCreated,
      wsClosed: host.wsClosed,
    };
  }

  /** Opens the socket (at creation unless lazy; else for the first call). */
  open() {
    if (this.#sock || this.#done) return;
    if (this.#host.lazy) this.#host.state('connecting', null);
    this.#sock = new Socket(0, this.#owner);
    this.#sock.start();
  }

  /**
   * Takes req if it can be answered here: a query or mutation without a
   * timeout of its own. Returns false to leave it to Go.
   */
  take(req) {
    if (this.#done || req.timeoutMs !== 0 || (req.type !== 'query' && req.type !== 'mutation')) return false;
    this.#queue.push(req);
    if (this.#open) this.#flushSoon();
    else this.open();
    return true;
  }

  // Calls made in one tick leave as one frame, as with Go.
  #flushSoon() {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(() => {
      this.#flushQueued = false;
      this.#flush();
    });
  }

  #flush() {
    if (!this.#open || this.#done) return;
    const parts = [];
    for (const req of this.#queue) {
      if (req.done) continue;
      const wire = ++this.#wire;
      this.#inFlight.set(wire, req);
      const input = req.inputJSON === undefined ? '' : `,"input":${req.inputJSON}`;
      parts.push(`{"id":${wire},"method":"${req.type}","params":{"path":${JSON.stringify(req.path)}${input}}}`);
    }
    this.#queue.length = 0;
    if (parts.length) this.#sock.send(parts.length === 1 ? parts[0] : `[${parts.join(',')}]`);
  }

  #opened(sock, hasParams) {
    if (sock !== this.#sock) return;
    if (hasParams) sock.send(`{"method":"connectionParams","data":${sock.params}}`);
    this.#open = true;
    this.#host.state('pending', null);
    this.#flush();
  }

  #message(sock, text) {
    if (sock !== this.#sock) return;
    if (text === 'PING') {
      sock.send('PONG');
      return;
    }
    if (text === 'PONG') return;
    let msg;
    try {
      msg = JSON.parse(text);
    } catch (err) {
      this.#host.frameError(new TRPCWebSocketFrameError(`trpcws: malformed server frame: ${err.message}`, text));
      return;
    }
    if (msg === null || typeof msg !== 'object') return;
    if (msg.id === null || msg.id === undefined) {
      if (msg.method === 'reconnect') this.#reconnect = true;
      else if (msg.error && typeof msg.error === 'object') this.#serverError = msg.error;
      return;
    }
    const req = this.#inFlight.get(msg.id);
    if (!req) return;
    if (!msg.error && msg.result?.type !== 'data') return;
    this.#inFlight.delete(msg.id);
    this.#host.finished(req);
    if (req.done) return;
    req.done = true;
    if (msg.error) {
      const err = errorFromDesc({ t: 'trpc', error: msg.error }, req.transformer);
      callUserCallback(() => req.observer.error(err));
      return;
    }
    const result = { type: 'data', data: undefined };
    try {
      result.data = req.transformer.output.deserialize(msg.result.data);
    } catch {
      const err = clientError(new TransformResultError());
      callUserCallback(() => req.observer.error(err));
      return;
    }
    callUserCallback(() => req.observer.next({ result }));
    callUserCallback(() => req.observer.complete());
  }

  // The socket ended before Go took it: calls in flight fail as on any lost
  // socket; calls not yet sent wait for Go, which reconnects.
  #ended(sock, code, cause) {
    if (sock !== this.#sock) return;
    const wasOpen = this.#open;
    this.#sock = null;
    this.#open = false;
    this.#done = true;
    let causeDesc = null;
    if (this.#serverError) causeDesc = { t: 'trpc', error: this.#serverError };
    else if (cause) causeDesc = { t: 'js', h: cause };
    const desc = { t: 'closed', message: 'WebSocket closed', code: code || 1006, cause: causeDesc };
    for (const req of this.#inFlight.values()) {
      this.#host.finished(req);
      if (req.done) continue;
      req.done = true;
      const err = callErrorFromDesc(desc, null);
      callUserCallback(() => req.observer.error(err));
    }
    this.#inFlight.clear();
    // A socket that never opened: Go's first attempt reports it.
    if (wasOpen && !this.#host.lazy) this.#host.state('connecting', errorFromDesc(desc, null));
  }

  /**
   * Go takes over: returns the socket (if it has not ended), whether it is
   * open (then Go adopts it with the calls in `sent`, [wire, req] in wire
   * order, still awaiting answers, and starts its wire ids above lastWire),
   * the calls never sent, and whether the server asked for a new
   * connection. The engine retires.
   */
  handOff() {
    this.#done = true;
    const sock = this.#sock;
    this.#sock = null;
    const sent = [...this.#inFlight].filter(([, req]) => !req.done);
    const unsent = this.#queue.filter((req) => !req.done);
    this.#inFlight.clear();
    this.#queue.length = 0;
    return { sock, open: this.#open && !!sock, lastWire: this.#wire, sent, unsent, reconnect: this.#reconnect };
  }

  /** The module failed to load: the socket is closed (the client failed its calls already). */
  abandon() {
    this.#done = true;
    const sock = this.#sock;
    this.#sock = null;
    this.#inFlight.clear();
    this.#queue.length = 0;
    sock?.close(1000, true);
  }
}
