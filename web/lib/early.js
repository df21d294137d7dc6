// Early start: while the WebAssembly module loads, a client opens its socket
// and runs its first queries, mutations and subscriptions from JavaScript,
// so that they do not wait for the module. Once the module runs, Go takes
// over the socket and the calls still live on it (core.Config.Adopt,
// Call.SentAs) and this engine retires. Only what the first moments of an
// app need is done here: calls with a timeout, a bounded queue, an encoder,
// keep-alive and reconnecting all wait for Go, as before.
import { callErrorFromDesc, clientError, errorFromDesc, TransformResultError, TRPCWebSocketFrameError } from './errors.js';
import { callComplete, callError, callNext, reportInternal } from './host.js';
import { earlyBusyChanged } from './load.js';
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

/**
 * The JSON text of result.id in a server frame (called only when it is not
 * a string, which JSON.parse may have rounded): a small scan of the frame.
 */
export function resultIdText(text) {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const str = () => {
    const start = ++i;
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    return text.slice(start, i++);
  };
  // Skips one value; returns its text.
  const value = () => {
    ws();
    const start = i;
    if (text[i] === '"') str();
    else if (text[i] === '{' || text[i] === '[') {
      for (let depth = 0; ; ) {
        const ch = text[i];
        if (ch === '"') {
          str();
          continue;
        }
        i++;
        if (ch === '{' || ch === '[') depth++;
        else if ((ch === '}' || ch === ']') && --depth === 0) break;
      }
    } else while (i < text.length && !',}] \t\n\r'.includes(text[i])) i++;
    return text.slice(start, i);
  };
  // The value of key in the object at i, leaving i after it; undefined if absent.
  const member = (key) => {
    ws();
    i++; // {
    for (;;) {
      ws();
      if (text[i] !== '"') return undefined;
      const k = JSON.parse(`"${str()}"`);
      ws();
      i++; // :
      ws();
      if (k === key) return true;
      value();
      ws();
      if (text[i++] !== ',') return undefined;
    }
  };
  if (!member('result')) return undefined;
  if (!member('id')) return undefined;
  return value();
}

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
  #busy = 0; // what the module's compile waits for (see earlyBusyChanged)
  #openedAt = null; // when the socket opened (performance.now()), for stats()

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

  // Reports how many things the first calls still wait on: the socket's
  // handshake, calls unsent or unanswered, subscriptions not yet started.
  #updateBusy() {
    let busy = 0;
    if (!this.#done) {
      if (this.#sock && !this.#open) busy++;
      busy += this.#queue.length;
      for (const req of this.#inFlight.values()) if (!req.earlyStarted) busy++;
    }
    if (busy !== this.#busy) {
      earlyBusyChanged(busy - this.#busy);
      this.#busy = busy;
    }
  }

  /** For stats() before Go runs: the socket, once open, and the calls. */
  counts() {
    let inFlight = 0;
    let subscriptions = 0;
    for (const req of this.#inFlight.values()) {
      if (req.type === 'subscription') subscriptions++;
      else inFlight++;
    }
    return { socketsOpened: this.#openedAt === null ? 0 : 1, connectedAt: this.#open ? this.#openedAt : null,
      queued: this.#queue.length, inFlight, subscriptions };
  }

  /** Opens the socket (at creation unless lazy; else for the first call). */
  open() {
    if (this.#sock || this.#done) return;
    if (this.#host.lazy) this.#host.state('connecting', null);
    this.#sock = new Socket(0, this.#owner);
    this.#sock.start();
    this.#updateBusy();
  }

  /**
   * Takes req if it can be run here: any call without a timeout of its
   * own. Returns false to leave it to Go.
   */
  take(req) {
    if (this.#done || req.timeoutMs !== 0) return false;
    this.#queue.push(req);
    if (this.#open) this.#flushSoon();
    else this.open();
    this.#updateBusy();
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
      req.earlyWire = wire;
      const input = req.inputJSON === undefined ? '' : `,"input":${req.inputJSON}`;
      const last = req.lastEventId === undefined ? '' : `,"lastEventId":${JSON.stringify(req.lastEventId)}`;
      parts.push(`{"id":${wire},"method":"${req.type}","params":{"path":${JSON.stringify(req.path)}${input}${last}}}`);
    }
    this.#queue.length = 0;
    if (parts.length) this.#sock.send(parts.length === 1 ? parts[0] : `[${parts.join(',')}]`);
    this.#updateBusy();
  }

  #opened(sock, hasParams) {
    if (sock !== this.#sock) return;
    if (hasParams) sock.send(`{"method":"connectionParams","data":${sock.params}}`);
    this.#open = true;
    this.#openedAt = performance.now();
    this.#host.state('pending', null);
    this.#flush();
    this.#updateBusy();
  }

  #message(sock, text) {
    this.#read(sock, text);
    this.#updateBusy();
  }

  #read(sock, text) {
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
    const type = msg.result?.type;
    if (req.type === 'subscription' && !msg.error) {
      if (type === 'started') {
        req.earlyStarted = true;
        if (!req.done) callNext(req.observer, { result: { type: 'started' } });
      } else if (type === 'data') {
        this.#event(text, req, msg.result);
      } else if (type === 'stopped') {
        this.#inFlight.delete(msg.id);
        this.#host.finished(req);
        if (req.done) return;
        req.done = true;
        callNext(req.observer, { result: { type: 'stopped' } });
        callComplete(req.observer);
      }
      return;
    }
    if (!msg.error && type !== 'data') return;
    this.#inFlight.delete(msg.id);
    this.#host.finished(req);
    if (req.done) return;
    req.done = true;
    if (msg.error) {
      callError(req.observer, errorFromDesc({ t: 'trpc', error: msg.error }, req.transformer));
      return;
    }
    const result = { type: 'data', data: undefined };
    try {
      result.data = req.transformer.output.deserialize(msg.result.data);
    } catch {
      callError(req.observer, clientError(new TransformResultError()));
      return;
    }
    callNext(req.observer, { result });
    callComplete(req.observer);
  }

  // A subscription's event: its id (tracked) is where a resume starts.
  #event(text, req, res) {
    if (req.done) return;
    // As through Go: the id's JSON text (a number exactly as written).
    const id = res.id === undefined || res.id === null ? undefined : typeof res.id === 'string' ? res.id : resultIdText(text);
    req.lastEventId = id;
    const result = id === undefined ? { type: 'data', data: undefined } : { type: 'data', id, data: undefined };
    try {
      result.data = req.transformer.output.deserialize(res.data);
    } catch {
      // As the reference: the subscription fails and is stopped.
      req.done = true;
      this.cancel(req);
      this.#host.finished(req);
      callError(req.observer, clientError(new TransformResultError()));
      return;
    }
    callNext(req.observer, { result });
  }

  /** The caller gave req up: a subscription the server runs is stopped. */
  cancel(req) {
    const wire = req.earlyWire;
    if (wire === undefined || this.#inFlight.get(wire) !== req) return;
    this.#inFlight.delete(wire);
    if (req.type === 'subscription' && this.#open) this.#sock.send(`{"id":${wire},"method":"subscription.stop"}`);
    this.#updateBusy();
  }

  // The socket ended before Go took it: queries and mutations in flight fail
  // as on any lost socket; subscriptions and calls not yet sent wait for Go,
  // which reconnects and resumes them.
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
      if (req.type === 'subscription') {
        req.earlyStarted = false;
        req.earlyWire = undefined;
        if (!req.done) this.#queue.push(req);
        continue;
      }
      this.#host.finished(req);
      if (req.done) continue;
      req.done = true;
      callError(req.observer, callErrorFromDesc(desc, null));
    }
    this.#inFlight.clear();
    this.#updateBusy(); // done: nothing more to wait for here
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
    this.#updateBusy();
    return { sock, open: this.#open && !!sock, lastWire: this.#wire, sent, unsent, reconnect: this.#reconnect };
  }

  /** The module failed to load: the socket is closed (the client failed its calls already). */
  abandon() {
    this.#done = true;
    const sock = this.#sock;
    this.#sock = null;
    this.#inFlight.clear();
    this.#queue.length = 0;
    this.#updateBusy();
    sock?.close(1000, true);
  }
}
