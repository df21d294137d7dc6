// Early start: while the WebAssembly module loads, a client opens its socket
// and runs its first queries, mutations and subscriptions from JavaScript,
// so that they do not wait for the module. Once the module runs, Go takes
// over the socket and the calls still live on it (core.Config.Adopt,
// Call.SentAs) and this engine retires. Only what the first moments of an
// app need is done here: calls with a timeout, a bounded queue, an encoder,
// keep-alive and reconnecting all wait for Go, as before.
//
// Every frame it writes and every rule it applies come from core, through
// the generated protocol.js. It reads a server frame only when the frame is
// of the shapes protocol.js lists (an answer to a call it sent, with an id
// core reads the same way); any other frame, and every frame after it, is
// handed to Go once it runs, which reads it exactly as if it had come then.
import { callErrorFromDesc, clientError, errorFromDesc, TransformResultError } from './errors.js';
import { callComplete, callError, callNext, reportInternal } from './host.js';
import { earlyBusyChanged } from './load.js';
import {
  BATCH,
  CLOSE_ABNORMAL,
  CLOSE_NORMAL,
  CLOSE_SETUP_FAILED,
  CONNECTION_PARAMS_FRAME,
  ID_PATTERN,
  LOST_MESSAGE,
  PING,
  PONG,
  REQUEST_FRAMES,
  RESULT_DATA,
  RESULT_STARTED,
  RESULT_STOPPED,
  STOP_FRAME,
  STRING_ESCAPES,
  URL_PARAMS_FIRST,
  URL_PARAMS_MORE,
  URL_QUERY_MARK,
} from './protocol.js';
import { Socket } from './socket.js';

const idPattern = new RegExp(ID_PATTERN);
const needsEscape = new RegExp(`[${Object.keys(STRING_ESCAPES).map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}]`);

/** s as core writes a JSON string. */
export function jsonString(s) {
  if (!needsEscape.test(s)) return `"${s}"`;
  let out = '"';
  for (const c of s) out += STRING_ESCAPES[c] ?? c;
  return out + '"';
}

/** Fills a protocol.js template: literals at even indexes, hole names (keys of vals) at odd ones. */
function fill(template, vals) {
  let out = template[0];
  for (let i = 1; i < template.length; i += 2) out += vals[template[i]] + template[i + 1];
  return out;
}

const resultTypes = new Set([RESULT_DATA, RESULT_STARTED, RESULT_STOPPED]);
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

const runNow = (task) => {
  try {
    task();
  } catch (err) {
    reportInternal(err);
  }
};

/**
 * The JSON text of the member at keys (e.g. ['result', 'id']) in a server
 * frame JSON.parse accepted, whose value JSON.parse may have rounded: a
 * small scan of the frame; undefined when absent.
 */
export function memberText(text, keys) {
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
  for (const key of keys) if (!member(key)) return undefined;
  return value();
}

/** The URL with connectionParams=1 when the client has connection params (core.URLWithConnectionParams). */
export function urlWithConnectionParams(url) {
  return url + (url.includes(URL_QUERY_MARK) ? URL_PARAMS_MORE : URL_PARAMS_FIRST);
}

/**
 * Whether early start reads the frame msg (text: as it came) itself: the
 * shapes protocol.js lists, as an answer to the call req. Else Go reads it.
 */
function understood(text, msg, req) {
  if (!isObject(msg) || 'method' in msg || req === undefined) return false;
  const idText = memberText(text, ['id']);
  if (idText === undefined || !idPattern.test(idText)) return false;
  if ('result' in msg === 'error' in msg) return false;
  if ('error' in msg) return isObject(msg.error);
  const res = msg.result;
  if (!isObject(res) || !resultTypes.has(res.type)) return false;
  if ('id' in res && res.id !== null && typeof res.id !== 'string' && typeof res.id !== 'number') return false;
  // A query or mutation is answered with data only.
  return req.type === 'subscription' || res.type === RESULT_DATA;
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
  #deferred = null; // frames for Go to read once it runs (see understood), in order
  #lost = null; // {code, cause}: the open socket ended, Go hears of it at the hand-off
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
      const hasInput = req.inputJSON !== undefined;
      const hasLast = req.lastEventId !== undefined;
      const vals = { id: wire, method: req.type, path: jsonString(req.path), input: req.inputJSON };
      if (hasLast) vals.lastEventId = jsonString(req.lastEventId);
      parts.push(fill(REQUEST_FRAMES[(hasInput ? 1 : 0) | (hasLast ? 2 : 0)], vals));
    }
    this.#queue.length = 0;
    if (parts.length) this.#sock.send(parts.length === 1 ? parts[0] : BATCH[0] + parts.join(BATCH[1]) + BATCH[2]);
    this.#updateBusy();
  }

  #opened(sock, hasParams) {
    if (sock !== this.#sock) return;
    if (hasParams) sock.send(fill(CONNECTION_PARAMS_FRAME, { data: sock.params }));
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
    if (this.#deferred) {
      this.#deferred.push(text);
      return;
    }
    if (text === PING) {
      sock.send(PONG);
      return;
    }
    if (text === PONG) return;
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      msg = undefined;
    }
    const req = isObject(msg) ? this.#inFlight.get(msg.id) : undefined;
    if (!understood(text, msg, req)) {
      // Go reads it (and what follows), as core would have read it now.
      this.#deferred = [text];
      return;
    }
    const type = msg.result?.type;
    if (req.type === 'subscription' && !msg.error) {
      if (type === RESULT_STARTED) {
        req.earlyStarted = true;
        if (!req.done) callNext(req.observer, { result: { type: 'started' } });
      } else if (type === RESULT_DATA) {
        this.#event(text, req, msg.result);
      } else {
        this.#inFlight.delete(msg.id);
        this.#host.finished(req);
        if (req.done) return;
        req.done = true;
        callNext(req.observer, { result: { type: 'stopped' } });
        callComplete(req.observer);
      }
      return;
    }
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
    const id = res.id === undefined || res.id === null ? undefined : typeof res.id === 'string' ? res.id : memberText(text, ['result', 'id']);
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
    if (req.type === 'subscription' && this.#open) this.#sock.send(fill(STOP_FRAME, { id: wire }));
    this.#updateBusy();
  }

  // The socket ended before Go took it. Once it had opened, Go hears of it
  // at the hand-off, as of any socket lost under calls (the subscriptions
  // are sent again under their ids, after their last event); queries and
  // mutations in flight fail now, as on any lost socket, unless frames wait
  // for Go (one may answer them): then Go decides for them too.
  #ended(sock, code, cause) {
    if (sock !== this.#sock) return;
    const wasOpen = this.#open;
    this.#open = false;
    this.#done = true;
    if (!wasOpen) {
      // A socket that never opened: nothing was sent; Go's first attempt reports it.
      this.#sock = null;
      this.#updateBusy();
      return;
    }
    this.#lost = { code, cause };
    if (!this.#deferred) {
      const desc = { t: 'closed', message: LOST_MESSAGE, code: code || CLOSE_ABNORMAL, cause: cause ? { t: 'js', h: cause } : null };
      for (const [wire, req] of this.#inFlight) {
        if (req.type === 'subscription') continue;
        this.#inFlight.delete(wire);
        this.#host.finished(req);
        if (req.done) continue;
        req.done = true;
        callError(req.observer, callErrorFromDesc(desc, null));
      }
      if (!this.#host.lazy) {
        this.#host.state('connecting', errorFromDesc(desc, null));
        this.#lost.shown = true;
      }
    }
    this.#updateBusy(); // done: nothing more to wait for here
  }

  /**
   * Go takes over: returns the socket (if it opened, or is still
   * connecting), whether it opened (then Go adopts it with the calls in
   * `sent`, [wire, req] in wire order, still awaiting answers, and starts
   * its wire ids above lastWire), the calls never sent, the frames Go is to
   * read on it, and, when it was lost since, {code, cause, shown} for Go
   * (shown: the state it showed for the loss). The engine retires.
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
    const open = !!sock && (this.#open || !!this.#lost);
    return { sock, open, lastWire: this.#wire, sent, unsent, deferred: this.#deferred ?? [], lost: this.#lost };
  }

  /** The module failed to load: the socket is closed (the client failed its calls already). */
  abandon() {
    this.#done = true;
    const sock = this.#sock;
    this.#sock = null;
    this.#inFlight.clear();
    this.#queue.length = 0;
    this.#updateBusy();
    sock?.close(CLOSE_NORMAL, true);
  }
}
