// trpcws: a tRPC v11 WebSocket client whose protocol state machine is Go
// compiled to WebAssembly (../core, driven through ../jsbridge). This file
// owns everything that touches the host: WebSocket objects and their
// listeners, timers, the write microtask, the user's callbacks, and the
// observables @trpc/client consumes. It is a drop-in for @trpc/client's
// createWSClient + wsLink (11.25).
//
// The Go side is called through //go:wasmexport functions with numbers and
// UTF-8 bytes; each call returns records (see jsbridge/output.go). Request
// inputs never enter Go (Go leaves a "\0<handle>\0" marker that is replaced
// here), and result data comes back as offsets into the frame string this
// file holds, so JSON is parsed here, once.
import { before } from './globals.js';
import './wasm_exec.js';

// ------------------------------------------------------------ host globals

const GoClass = globalThis.Go;
if (before.hadGo) globalThis.Go = before.Go;
else delete globalThis.Go;
// Stand-ins wasm_exec.js installed: present only while Go initialises
// (its syscall package reads them once), except `fs`, through which the Go
// runtime prints a crash report.
const standIns = {};
for (const name of ['process', 'path']) {
  if (!before[name]) {
    standIns[name] = globalThis[name];
    delete globalThis[name];
  }
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();
const now = () => Math.floor(performance.now()) + 1;

/** Rethrows a user callback's error asynchronously, as @trpc/client does. */
function callUserCallback(fn) {
  try {
    fn();
  } catch (err) {
    setTimeout(() => {
      throw err;
    });
  }
}

function reportInternal(err) {
  if (typeof globalThis.reportError === 'function') globalThis.reportError(err);
  else console.error(err);
}

// ------------------------------------------------------------ @trpc/client peer

// TRPCClientError should be the real class when @trpc/client is there: it
// rewraps anything that is not `instanceof` it. Loaded alongside the wasm
// but not awaited by init(): an app using wsLink has imported @trpc/client
// already, so this resolves at once there; an error made before it does is
// a CompatTRPCClientError, which @trpc/client's TRPCClientError.from turns
// into its own class with the same message, shape and data.
let PeerTRPCClientError = null;
const peerLoaded = import('@trpc/client').then(
  (m) => {
    if (typeof m?.TRPCClientError === 'function') PeerTRPCClientError = m.TRPCClientError;
  },
  () => {},
);

const isObject = (v) => !!v && !Array.isArray(v) && typeof v === 'object';

/** A stand-in with the same fields, when @trpc/client is not importable. */
class CompatTRPCClientError extends Error {
  constructor(message, opts) {
    super(message, { cause: opts?.cause });
    this.cause = opts?.cause;
    this.meta = opts?.meta;
    this.shape = opts?.result?.error;
    this.data = opts?.result?.error?.data;
    this.name = 'TRPCClientError';
  }
}

function isErrorResponse(v) {
  return isObject(v) && isObject(v.error) && typeof v.error.code === 'number' && typeof v.error.message === 'string';
}

/** TRPCClientError.from, with the peer's class when there is one. */
function clientError(cause) {
  const err = makeClientError(cause);
  // Another copy of @trpc/client (the app's own) rewraps an error that is
  // not its TRPCClientError; through this field its TRPCClientError.from
  // still finds the server's error shape and data. Not enumerable, so the
  // error compares equal to the reference's.
  if (isErrorResponse(cause) && err && typeof err === 'object' && !('error' in err)) {
    Object.defineProperty(err, 'error', { value: cause.error, enumerable: false, configurable: true });
  }
  return err;
}

function makeClientError(cause) {
  if (PeerTRPCClientError) return PeerTRPCClientError.from(cause);
  if (cause instanceof CompatTRPCClientError) return cause;
  if (isErrorResponse(cause)) return new CompatTRPCClientError(cause.error.message, { result: cause });
  const message = typeof cause === 'string' ? cause : isObject(cause) && typeof cause.message === 'string' ? cause.message : 'Unknown error';
  return new CompatTRPCClientError(message, { cause });
}

/** The reference's error for a lost or unusable socket. */
export class TRPCWebSocketClosedError extends Error {
  constructor(opts) {
    super(opts.message, { cause: opts.cause });
    this.name = 'TRPCWebSocketClosedError';
  }
}

class TransformResultError extends Error {
  constructor() {
    super('Unable to transform response from server');
  }
}

// ------------------------------------------------------------ observables

/**
 * The observable contract @trpc/client's links use: subscribe(observer)
 * returns {unsubscribe}; error/complete end it and run the teardown once;
 * pipe(...operators).
 */
function observable(subscribe) {
  const self = {
    subscribe(observer) {
      let teardown = null;
      let done = false;
      let unsubscribed = false;
      let teardownPending = false;
      let subscribing = true;
      let thrown = null;
      const unsubscribe = () => {
        if (teardown === null) {
          teardownPending = true;
          return;
        }
        if (unsubscribed) return;
        unsubscribed = true;
        if (typeof teardown === 'function') teardown();
        else if (teardown) teardown.unsubscribe();
      };
      const end = (notify) => {
        try {
          notify();
        } catch (err) {
          if (!subscribing) throw err;
          thrown ??= { err };
        } finally {
          unsubscribe();
        }
      };
      teardown =
        subscribe({
          next(value) {
            if (!done) observer.next?.(value);
          },
          error(err) {
            if (done) return;
            done = true;
            end(() => observer.error?.(err));
          },
          complete() {
            if (done) return;
            done = true;
            end(() => observer.complete?.());
          },
        }) ?? undefined;
      subscribing = false;
      if (teardownPending) unsubscribe();
      if (thrown) throw thrown.err;
      return { unsubscribe };
    },
    pipe(...operators) {
      return operators.reduce((prev, op) => op(prev), self);
    },
  };
  return self;
}

/** An observable with a current value, sent to each new subscriber. */
function behaviorSubject(initial) {
  let value = initial;
  const observers = new Set();
  const subject = observable((observer) => {
    if (value !== undefined) observer.next(value);
    observers.add(observer);
    return () => {
      observers.delete(observer);
    };
  });
  subject.next = (next) => {
    if (next === value) return;
    value = next;
    for (const observer of [...observers]) {
      if (observers.has(observer)) callUserCallback(() => observer.next(next));
    }
  };
  subject.get = () => value;
  return subject;
}

// ------------------------------------------------------------ wasm instance

// Output record kinds, see jsbridge/output.go.
const REC_CLIENT = 1;
const REC_DIAL = 2;
const REC_WRITE = 3;
const REC_CLOSE_SOCK = 4;
const REC_RESULT = 5;
const REC_STARTED = 6;
const REC_EVENT = 7;
const REC_COMPLETE = 8;
const REC_ERROR = 9;
const REC_STATE = 10;
const REC_FRAME_ERR = 11;
const REC_CLOSED = 12;
const REC_FRAME = 13;
const REC_DEADLINE = 14;
const REC_URL = 15;

const FLAG_LAZY = 1;
const FLAG_KEEPALIVE = 2;
const FLAG_RETRY = 4;
const FLAG_PARAMS = 8;
const START_INPUT = 1;
const START_LAST_EVENT_ID = 2;
const METHODS = { query: 1, mutation: 2, subscription: 3 };
const STATES = ['idle', 'connecting', 'pending'];

/**
 * The Go instance: its exported functions and views on its memory. After a
 * call, the records are read in place (f64 from base, text from bytesBase):
 * nothing calls Go again until they have been carried out (see schedule).
 */
class Wasm {
  constructor(instance, go) {
    this.go = go;
    this.x = instance.exports;
    this.memory = this.x.mem;
    this.headerPtr = this.x.trpcws_header();
    this.buffer = null;
    this.inPtr = 0;
    this.inCap = 0;
    this.base = 0;
    this.bytesBase = 0;
    this.view();
  }

  view() {
    if (this.buffer !== this.memory.buffer) {
      this.buffer = this.memory.buffer;
      this.u8 = new Uint8Array(this.buffer);
      this.f64 = new Float64Array(this.buffer, 0, this.buffer.byteLength >> 3);
      this.header = new Int32Array(this.buffer, this.headerPtr, 4);
    }
  }

  /** Makes Go's input buffer hold at least max bytes; returns its address. */
  input(max) {
    if (max > this.inCap) {
      const cap = Math.max(max, 4096);
      const p = this.x.trpcws_alloc(cap);
      if (!p) throw new Error('trpcws: out of memory');
      this.inPtr = p;
      this.inCap = cap;
    }
    this.view();
    return this.inPtr;
  }

  /** Writes str as UTF-8 into the input; returns its length in bytes. */
  write(str, offset = 0) {
    const max = str.length * 3;
    const p = this.input(offset + max) + offset;
    return textEncoder.encodeInto(str, this.u8.subarray(p, p + max)).written;
  }

  /** Takes the result of a call: the number of record numbers, or throws. */
  done(n) {
    if (this.go.exited) throw new Error('trpcws: the Go instance has exited');
    this.view();
    const h = this.header;
    this.bytesBase = h[2];
    if (n < 0) throw new Error(textDecoder.decode(this.u8.subarray(h[2], h[2] + h[3])) || 'trpcws: call failed');
    this.base = h[0] >> 3;
    return n;
  }

  /** Record number i of the last call. */
  num(i) {
    return this.f64[this.base + i];
  }

  /** Text [a, b) of the last call. */
  text(a, b) {
    return textDecoder.decode(this.u8.subarray(this.bytesBase + a, this.bytesBase + b));
  }
}

let wasm = null;
let loading = null; // Promise of the running or finished load
let loadError = null;
let hooksSeq = 0;

/** Clients by Go id, for the retry hook (weakly, when WeakRef exists). */
const clientsById = new Map();
const finalizer =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry((cid) => {
        clientsById.delete(cid);
        schedule(() => wasm?.x.trpcws_free(cid));
      })
    : null;
const liveClient = (cid) => {
  const ref = clientsById.get(cid);
  return typeof WeakRef === 'function' && ref instanceof WeakRef ? ref.deref() : ref;
};

function defaultSource() {
  return new URL('./trpcws.wasm', import.meta.url);
}

const isNode = () => typeof process !== 'undefined' && !!process.versions?.node;

async function readFileBytes(url) {
  const name = 'node:fs/promises';
  const fs = await import(/* @vite-ignore */ /* webpackIgnore: true */ name);
  return fs.readFile(url);
}

async function compile(source) {
  source = await source;
  if (source instanceof WebAssembly.Module) return source;
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return WebAssembly.compile(source);
  if (typeof source === 'string' || source instanceof URL) {
    let url = null;
    try {
      url = new URL(source);
    } catch {
      // a plain path: a file in Node-like hosts, else relative to the page
    }
    if (url?.protocol === 'file:' || (!url && isNode())) {
      return WebAssembly.compile(await readFileBytes(url ?? source));
    }
    const resp = await fetch(source);
    if (!resp.ok) throw new Error(`trpcws: fetching ${source} failed: HTTP ${resp.status}`);
    return compile(resp);
  }
  // Checked last: touching the global Response loads undici in Node 20.
  if (typeof Response === 'function' && source instanceof Response) {
    const type = source.headers.get('content-type') ?? '';
    if (typeof WebAssembly.compileStreaming === 'function' && type.startsWith('application/wasm')) {
      return WebAssembly.compileStreaming(source);
    }
    return WebAssembly.compile(await source.arrayBuffer());
  }
  throw new TypeError('trpcws: init() takes a URL, a path, bytes, a Response or a WebAssembly.Module');
}

async function instantiate(source) {
  const module = await compile(source);
  const go = new GoClass();
  const hooksName = `__trpcwsHooks${++hooksSeq}_${Math.random().toString(36).slice(2)}`;
  go.argv = ['trpcws', `--hooks=${hooksName}`];
  go.env = {};
  go.exit = (code) => {
    if (code !== 0) reportInternal(new Error(`trpcws: the Go instance exited with code ${code}`));
  };
  const instance = await WebAssembly.instantiate(module, go.importObject);
  globalThis[hooksName] = { retryDelay };
  for (const [name, value] of Object.entries(standIns)) globalThis[name] = value;
  try {
    go.run(instance).catch(reportInternal);
  } finally {
    for (const name of Object.keys(standIns)) delete globalThis[name];
    delete globalThis[hooksName];
  }
  if (go.exited) throw new Error('trpcws: the Go instance exited during start-up');
  return new Wasm(instance, go);
}

/** The hook Go calls for a client's retryDelayMs (inside a Go call). */
function retryDelay(cid, attempt) {
  const client = liveClient(cid);
  const fn = client?._retryDelayMs;
  if (typeof fn !== 'function') return undefined;
  try {
    const ms = Number(fn(attempt));
    return Number.isNaN(ms) ? 0 : ms;
  } catch (err) {
    callUserCallback(() => {
      throw err;
    });
    return undefined; // the default backoff
  }
}

/**
 * Loads and starts the WebAssembly module. Optional in browsers, Node, Deno
 * and Bun (the first client loads ./trpcws.wasm beside this file); needed
 * where code cannot be compiled at run time (workerd: pass the imported
 * WebAssembly.Module). Accepts a URL or path, bytes, a Response (or a
 * Promise of one) or a WebAssembly.Module; resolves when ready.
 */
export function init(source) {
  if (wasm) return Promise.resolve();
  if (source && typeof source === 'object' && 'module' in source && !(source instanceof URL)) {
    source = source.module; // init({ module }), as edge examples write it
  }
  if (loading && !loadError) return loading;
  loadError = null;
  const p = instantiate(source ?? defaultSource()).then(
    (w) => {
      wasm = w;
      drainQueue();
    },
    (err) => {
      loadError = err instanceof Error ? err : new Error(String(err));
      failQueued(loadError);
      throw loadError;
    },
  );
  loading = p;
  return p;
}

let autoInitQueued = false;
function autoInit() {
  if (wasm || loading || autoInitQueued) return;
  autoInitQueued = true;
  // A microtask later, so that init(x) called right after the first
  // createTRPCWebSocket still wins.
  queueMicrotask(() => {
    autoInitQueued = false;
    if (!loading) init().catch(() => {});
  });
}

// ------------------------------------------------------------ the call queue

// Every call into Go runs from this queue, one at a time and in order: the
// records of one call are carried out completely before the next call, and
// nothing re-enters Go (the retry hook runs inside a call; what it starts
// waits here). Until the instance is ready everything waits here too.
const queue = [];
let queueHead = 0;
let draining = false;

function schedule(task) {
  queue.push(task);
  if (wasm && !draining) drainQueue();
}

function drainQueue() {
  if (draining || !wasm) return;
  draining = true;
  try {
    while (queueHead < queue.length) {
      const task = queue[queueHead];
      queue[queueHead++] = undefined;
      try {
        task();
      } catch (err) {
        reportInternal(err);
      }
    }
    queue.length = 0;
    queueHead = 0;
  } finally {
    draining = false;
  }
}

/** The instance failed to load: fail what waits for it. */
function failQueued(err) {
  for (const ref of pendingClients) {
    const client = ref.deref ? ref.deref() : ref;
    client?._loadFailed(err);
  }
}
const pendingClients = new Set();

// ------------------------------------------------------------ causes

// JavaScript values (close/error events, thrown errors) Go refers to by
// handle in its error records. The last few hundred are kept.
const causes = new Map();
let causeSeq = 0;
function keepCause(value) {
  const h = ++causeSeq;
  causes.set(h, value);
  if (causes.size > 256) causes.delete(causes.keys().next().value);
  return h;
}

// ------------------------------------------------------------ options

/**
 * The reference client's default retry delay: 0 for the first attempt, then
 * min(1000·2^attempt, 30000) ms.
 */
export function exponentialBackoff(attemptIndex) {
  return attemptIndex === 0 ? 0 : Math.min(1000 * 2 ** attemptIndex, 30000);
}

const NO_WEBSOCKET =
  "No WebSocket implementation found - you probably don't want to use this on the server, but if you do you need to pass a `WebSocket`-ponyfill";

function typeError(name, want, got) {
  const shown = typeof got === 'string' ? JSON.stringify(got) : typeof got === 'function' ? 'a function' : String(got);
  return new TypeError(`createTRPCWebSocket: option \`${name}\` must be ${want}, got ${shown}`);
}
function optFunction(opts, name) {
  const v = opts[name];
  if (v !== undefined && typeof v !== 'function') throw typeError(name, 'a function', v);
  return v;
}
function optBool(obj, name, path) {
  const v = obj[name];
  if (v !== undefined && typeof v !== 'boolean') throw typeError(path, 'a boolean', v);
  return v;
}
function optMs(obj, name, path, min) {
  const v = obj[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
    throw typeError(path, min > 0 ? 'a positive number of milliseconds' : 'a number of milliseconds >= 0', v);
  }
  return v;
}
function optObject(opts, name) {
  const v = opts[name];
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw typeError(name, 'an object', v);
  return v;
}

function checkOptions(opts) {
  if (!isObject(opts)) throw new TypeError('createTRPCWebSocket: options must be an object with at least `url`');
  const url = opts.url;
  if (typeof url !== 'string' && typeof url !== 'function' && !(url instanceof URL)) {
    throw typeError('url', 'a string or a function returning one', url);
  }
  const cp = opts.connectionParams;
  if (cp !== undefined && cp !== null && typeof cp !== 'function' && !isObject(cp)) {
    throw typeError('connectionParams', 'an object, null or a function returning one', cp);
  }
  if (opts.WebSocket !== undefined && typeof opts.WebSocket !== 'function') {
    throw typeError('WebSocket', 'a WebSocket constructor', opts.WebSocket);
  }
  if (opts.experimental_encoder !== undefined) {
    throw new TypeError('createTRPCWebSocket: option `experimental_encoder` is not supported (frames are always JSON text)');
  }
  for (const name of ['retryDelayMs', 'onOpen', 'onError', 'onClose']) optFunction(opts, name);
  const lazy = optObject(opts, 'lazy');
  const keepAlive = optObject(opts, 'keepAlive');
  return {
    lazy: optBool(lazy, 'enabled', 'lazy.enabled') ?? false,
    closeMs: optMs(lazy, 'closeMs', 'lazy.closeMs', 0) ?? 0,
    keepAlive: optBool(keepAlive, 'enabled', 'keepAlive.enabled') ?? false,
    intervalMs: optMs(keepAlive, 'intervalMs', 'keepAlive.intervalMs', 1) ?? 5000,
    pongTimeoutMs: optMs(keepAlive, 'pongTimeoutMs', 'keepAlive.pongTimeoutMs', 1) ?? 1000,
  };
}

const validCloseCode = (code) => code === 1000 || (code >= 3000 && code <= 4999);
const isThenable = (v) => v !== null && (typeof v === 'object' || typeof v === 'function') && typeof v.then === 'function';
const binaryDecoder = new TextDecoder();

// ------------------------------------------------------------ the client

/** The error calls get when the WebAssembly module could not be loaded. */
function loadFailure(err) {
  const message = `trpcws: the WebAssembly module failed to load: ${err?.message ?? err}`;
  return clientError(new TRPCWebSocketClosedError({ message, cause: err }));
}

/**
 * Frames at least this long are parsed here (JSON.parse, as the reference
 * does) and Go gets only their envelope (see digestFrame): Go's scan of a
 * long payload in wasm costs more than JSON.parse. Shorter frames go to Go
 * as they are and only their data is parsed here.
 */
const DIGEST_MIN = 256;

/**
 * Parses a server result frame and returns {frame, data, id}: frame is the
 * same envelope without its payload ("data" stands in as 0), for Go to
 * route; data and id are the parsed result.data and result.id. Returns null
 * for anything else (errors, server requests, malformed frames), which Go
 * gets as it is.
 */
function digestFrame(text) {
  let msg;
  try {
    msg = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(msg) || 'method' in msg || 'error' in msg) return null;
  const r = msg.result;
  if (!isObject(r) || typeof r.type !== 'string') return null;
  const id = msg.id;
  let frame = '{';
  if (id !== undefined) {
    if (id !== null && typeof id !== 'number' && typeof id !== 'string') return null;
    frame += `"id":${JSON.stringify(id)},`;
  }
  frame += `"result":{"type":${JSON.stringify(r.type)}`;
  if ('id' in r) {
    if (r.id !== null && typeof r.id !== 'number' && typeof r.id !== 'string') return null;
    frame += `,"id":${JSON.stringify(r.id)}`;
  }
  if ('data' in r) frame += ',"data":0';
  return { frame: `${frame}}}`, data: r.data, id: r.id === null || r.id === undefined ? undefined : String(r.id) };
}

let handleSeq = 0;

/**
 * The client createTRPCWebSocket returns: the same surface as
 * @trpc/client's createWSClient (request, close, connectionState,
 * connection).
 */
class TRPCWebSocketClient {
  #opts;
  #cfg;
  #cid = 0;
  #reqs = new Map(); // handle → request, until Go forgot it
  #socks = new Map(); // Go socket id → socket record
  #timer = undefined;
  #closeWaiters = [];
  #inClose = false;
  #lastSock = null;
  #failed = null;
  #digest = null; // the parsed frame of the running Message call, if any

  constructor(opts) {
    const cfg = checkOptions(opts);
    if (opts.WebSocket === undefined && typeof globalThis.WebSocket !== 'function') throw new Error(NO_WEBSOCKET);
    this.#opts = opts;
    this.#cfg = cfg;
    this._retryDelayMs = opts.retryDelayMs;
    /** The connection state: {type:'state', state, error}. */
    this.connectionState = behaviorSubject({
      type: 'state',
      state: cfg.lazy ? 'idle' : 'connecting',
      error: null,
    });
    const ref = typeof WeakRef === 'function' ? new WeakRef(this) : this;
    pendingClients.add(ref);
    if (loadError && loading) {
      this.#failed = loadError;
    }
    schedule(() => {
      pendingClients.delete(ref);
      this.#create(ref);
    });
    autoInit();
  }

  #create(ref) {
    let flags = 0;
    if (this.#cfg.lazy) flags |= FLAG_LAZY;
    if (this.#cfg.keepAlive) flags |= FLAG_KEEPALIVE;
    if (typeof this.#opts.retryDelayMs === 'function') flags |= FLAG_RETRY;
    if (this.#opts.connectionParams != null) flags |= FLAG_PARAMS;
    const n = wasm.done(wasm.x.trpcws_new(now(), flags, this.#cfg.closeMs, this.#cfg.intervalMs, this.#cfg.pongTimeoutMs));
    this.#cid = wasm.num(1);
    clientsById.set(this.#cid, ref);
    finalizer?.register(this, this.#cid);
    this.#failed = null;
    this.#apply(n, null);
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
      let inputJSON;
      try {
        const serialized = transformer.input.serialize(input);
        inputJSON = serialized === undefined ? undefined : JSON.stringify(serialized);
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
    let flags = req.inputJSON === undefined ? 0 : START_INPUT;
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
      schedule(() => {
        this.#inClose = true;
        try {
          this.#call(wasm.x.trpcws_close(this.#cid, now()));
        } finally {
          this.#inClose = false;
        }
      });
    });
  }

  /** The newest socket and its state, or null (the reference's shape). */
  get connection() {
    const sock = this.#lastSock;
    if (!sock?.ws) return null;
    const rs = sock.ws.readyState;
    return { id: sock.id, state: rs === 1 ? 'open' : rs >= 2 ? 'closed' : 'connecting', ws: sock.ws };
  }

  // ---------------------------------------------------------- records

  /** The ref (where, a, b) at record number i: text, or undefined. */
  #ref(i, frame) {
    const where = wasm.num(i);
    if (where === 1) return frame.slice(wasm.num(i + 1), wasm.num(i + 2));
    if (where === 2) return wasm.text(wasm.num(i + 1), wasm.num(i + 2));
    return undefined;
  }

  /** Carries out the n record numbers of the last call. */
  #apply(n, frame) {
    for (let i = 0; i < n; ) {
      switch (wasm.num(i)) {
        case REC_CLIENT:
          i += 2;
          break;
        case REC_DIAL:
          this.#dial(wasm.num(i + 1));
          i += 2;
          break;
        case REC_WRITE:
          this.#wantWrite(wasm.num(i + 1));
          i += 2;
          break;
        case REC_CLOSE_SOCK:
          this.#closeSocket(wasm.num(i + 1), wasm.num(i + 2), wasm.num(i + 3) === 1);
          i += 4;
          break;
        case REC_RESULT: {
          const req = this.#final(wasm.num(i + 1));
          if (req) this.#deliverResult(req, i + 2, frame);
          i += 5;
          break;
        }
        case REC_STARTED: {
          const req = this.#live(wasm.num(i + 1));
          if (req) callUserCallback(() => req.observer.next({ result: { type: 'started' } }));
          i += 2;
          break;
        }
        case REC_EVENT: {
          const req = this.#live(wasm.num(i + 1));
          if (req) this.#deliverEvent(req, i + 2, frame);
          i += 8;
          break;
        }
        case REC_COMPLETE: {
          const req = this.#final(wasm.num(i + 1));
          if (req) {
            if (!this.#inClose) callUserCallback(() => req.observer.next({ result: { type: 'stopped' } }));
            callUserCallback(() => req.observer.complete());
          }
          i += 2;
          break;
        }
        case REC_ERROR: {
          const req = this.#final(wasm.num(i + 1));
          if (req) {
            const err = this.#error(JSON.parse(this.#ref(i + 2, frame)), req.transformer);
            callUserCallback(() => req.observer.error(err));
          }
          i += 5;
          break;
        }
        case REC_STATE: {
          const desc = this.#ref(i + 2, frame);
          const state = STATES[wasm.num(i + 1)];
          const error = desc === undefined ? null : this.#error(JSON.parse(desc), null);
          this.connectionState.next({ type: 'state', state, error });
          i += 5;
          break;
        }
        case REC_FRAME_ERR:
          // An undecodable frame is dropped; the connection carries on.
          i += 5;
          break;
        case REC_CLOSED:
          for (const resolve of this.#closeWaiters.splice(0)) resolve();
          i += 1;
          break;
        case REC_FRAME:
          this.#send(wasm.num(i + 1), wasm.text(wasm.num(i + 2), wasm.num(i + 3)));
          i += 4;
          break;
        case REC_DEADLINE:
          this.#arm(wasm.num(i + 1));
          i += 2;
          break;
        case REC_URL:
          i += 3;
          break;
        default:
          throw new Error(`trpcws: unknown record ${wasm.num(i)}`);
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
   * The value of the data ref at record number i: from the frame JavaScript
   * already parsed (see #message), else parsed from the text the ref points
   * at; undefined when absent (a void result).
   */
  #data(i, frame) {
    const where = wasm.num(i);
    if (where === 0) return undefined;
    if (where === 1 && this.#digest) return this.#digest.data;
    return JSON.parse(this.#ref(i, frame));
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
    let eventId;
    if (wasm.num(i + 3) !== 0) eventId = this.#digest ? this.#digest.id : this.#ref(i + 3, frame);
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

  /** Builds the reference client's error from a Go error description. */
  #error(desc, transformer) {
    switch (desc?.t) {
      case 'trpc': {
        let error;
        try {
          error = transformer ? transformer.output.deserialize(desc.error) : desc.error;
        } catch {
          return clientError(new TransformResultError());
        }
        if (!isObject(error) || typeof error.code !== 'number') return clientError(new TransformResultError());
        return clientError({ error });
      }
      case 'closed':
        return clientError(new TRPCWebSocketClosedError({ message: desc.message, cause: this.#cause(desc.cause) }));
      default:
        return clientError(this.#cause(desc));
    }
  }

  #cause(desc) {
    switch (desc?.t) {
      case undefined:
        return undefined;
      case 'js':
        return causes.get(desc.h);
      case 'trpc':
        return isObject(desc.error) ? clientError({ error: desc.error }) : undefined;
      case 'closed':
        return new TRPCWebSocketClosedError({ message: desc.message, cause: this.#cause(desc.cause) });
      default:
        return new Error(desc.message);
    }
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
    const sock = {
      id,
      ws: null,
      opened: false,
      ended: false, // Go was told it closed
      dead: false, // Go gave it up: ignore what it still sends
      closeCode: 0, // a close asked for before the socket existed
      closeAfterWrite: 0, // a close asked for while a write was queued
      params: undefined,
      writeQueued: false,
      chain: null,
    };
    this.#socks.set(id, sock);
    this.#lastSock = sock;
    let url;
    try {
      url = typeof this.#opts.url === 'function' ? this.#opts.url() : this.#opts.url;
    } catch (err) {
      schedule(() => this.#ended(sock, 0, err));
      return;
    }
    if (isThenable(url)) {
      Promise.resolve(url).then(
        (u) => schedule(() => this.#connect(sock, u)),
        (err) => schedule(() => this.#ended(sock, 0, err)),
      );
    } else {
      schedule(() => this.#connect(sock, url));
    }
  }

  #connect(sock, url) {
    if (sock.ended) return;
    if (url instanceof URL) url = url.href;
    if (typeof url !== 'string') {
      this.#ended(sock, 0, new TypeError(`trpcws: url resolved to ${typeof url}, not a string`));
      return;
    }
    if (sock.closeCode) {
      // close() ran while the URL was being resolved.
      this.#ended(sock, 0, new TRPCWebSocketClosedError({ message: 'Closed before connection was established' }));
      return;
    }
    const WS = this.#opts.WebSocket ?? globalThis.WebSocket;
    let ws;
    try {
      wasm.done(wasm.x.trpcws_url(this.#cid, wasm.write(url)));
      const full = wasm.text(wasm.num(1), wasm.num(2));
      if (typeof WS !== 'function') throw new Error(NO_WEBSOCKET);
      ws = new WS(full);
    } catch (err) {
      this.#ended(sock, 0, err);
      return;
    }
    sock.ws = ws;
    try {
      ws.binaryType = 'arraybuffer';
    } catch {
      // binary frames are decoded whatever their type
    }
    this.#listen(sock, ws);
    if (ws.readyState === 1) queueMicrotask(() => this.#onOpen(sock));
  }

  #listen(sock, ws) {
    const on = (type, fn) => {
      if (typeof ws.addEventListener === 'function') ws.addEventListener(type, fn);
      else ws[`on${type}`] = fn;
    };
    on('open', () => this.#onOpen(sock));
    on('message', (event) => {
      if (sock.dead) return;
      const data = event?.data;
      if (typeof data === 'string') this.#inOrder(sock, () => this.#message(sock, data));
      else if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
        const text = binaryDecoder.decode(data);
        this.#inOrder(sock, () => this.#message(sock, text));
      } else if (data && typeof data.text === 'function') {
        // A Blob (binaryType could not be set): keep the order.
        const text = data.text();
        sock.chain = (sock.chain ?? Promise.resolve()).then(() => text).then(
          (t) => schedule(() => this.#message(sock, t)),
          () => {},
        );
      }
    });
    on('close', (event) => {
      const cause = keepCause(event);
      this.#inOrder(sock, () => this.#ended(sock, typeof event?.code === 'number' ? event.code : 0, cause, true));
      callUserCallback(() => this.#opts.onClose?.(event));
    });
    on('error', (event) => {
      callUserCallback(() => this.#opts.onError?.(event));
      // As the reference: an error ends the socket at once.
      const cause = keepCause(event);
      this.#inOrder(sock, () => this.#ended(sock, 0, cause, true));
    });
  }

  /** Schedules task after what the socket delivered before it. */
  #inOrder(sock, task) {
    if (sock.chain) sock.chain = sock.chain.then(() => schedule(task));
    else schedule(task);
  }

  #onOpen(sock) {
    if (sock.opened || sock.ended || sock.dead) return;
    sock.opened = true;
    callUserCallback(() => this.#opts.onOpen?.());
    const cp = this.#opts.connectionParams;
    if (cp === undefined || cp === null) {
      schedule(() => this.#opened(sock, false));
      return;
    }
    let value;
    try {
      value = typeof cp === 'function' ? cp() : cp;
    } catch (err) {
      this.#paramsFailed(sock, err);
      return;
    }
    const done = (v) => {
      try {
        sock.params = JSON.stringify(v ?? null);
      } catch (err) {
        this.#paramsFailed(sock, err);
        return;
      }
      schedule(() => this.#opened(sock, true));
    };
    if (isThenable(value)) Promise.resolve(value).then(done, (err) => this.#paramsFailed(sock, err));
    else done(value);
  }

  #paramsFailed(sock, err) {
    try {
      sock.ws.close(3000);
    } catch {
      // already closing
    }
    schedule(() => this.#ended(sock, 0, err));
  }

  #opened(sock, hasParams) {
    if (sock.ended || sock.dead) return;
    this.#call(wasm.x.trpcws_opened(this.#cid, now(), sock.id, hasParams ? 1 : 0));
  }

  #message(sock, text) {
    if (sock.ended || sock.dead) return;
    const digest = text.length >= DIGEST_MIN ? digestFrame(text) : null;
    if (digest) {
      // Go gets the envelope only; the records' data refs mean digest.data.
      const n = wasm.write(digest.frame);
      this.#digest = digest;
      try {
        this.#call(wasm.x.trpcws_message(this.#cid, now(), sock.id, n, n === digest.frame.length ? 1 : 0), digest.frame);
      } finally {
        this.#digest = null;
      }
      return;
    }
    const n = wasm.write(text);
    this.#call(wasm.x.trpcws_message(this.#cid, now(), sock.id, n, n === text.length ? 1 : 0), text);
  }

  /** Tells Go the socket closed or failed (once); cause is a value or a kept handle. */
  #ended(sock, code, cause, isHandle = false) {
    if (sock.ended) return;
    sock.ended = true;
    this.#socks.delete(sock.id);
    if (sock.dead) return;
    const h = isHandle ? cause : cause === undefined ? 0 : keepCause(cause);
    this.#call(wasm.x.trpcws_closed(this.#cid, now(), sock.id, code, h));
  }

  #wantWrite(id) {
    const sock = this.#socks.get(id);
    if (!sock || sock.writeQueued) return;
    sock.writeQueued = true;
    // Everything requested in this tick leaves in one frame.
    queueMicrotask(() =>
      schedule(() => {
        sock.writeQueued = false;
        if (!sock.ended && !sock.dead) this.#call(wasm.x.trpcws_transmit(this.#cid, now(), sock.id));
        if (sock.closeAfterWrite) this.#closeWs(sock, sock.closeAfterWrite, false);
      }),
    );
  }

  #send(id, frame) {
    const sock = this.#socks.get(id);
    if (!sock?.ws || sock.dead) return;
    if (frame.includes('\0')) frame = this.#splice(sock, frame);
    try {
      sock.ws.send(frame);
    } catch {
      // the socket is closing: its close event follows
    }
  }

  /** Replaces the markers Go left with the JSON text they stand for. */
  #splice(sock, frame) {
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
    if (!validCloseCode(code)) code = 1000;
    if (abort) {
      // Go has given it up already (no PONG): drop it without a handshake.
      sock.dead = true;
      this.#socks.delete(id);
    }
    if (!sock.ws) {
      sock.closeCode = code;
      return;
    }
    if (!abort && sock.writeQueued) {
      // Frames announced before the close (e.g. subscription.stop) leave first.
      sock.closeAfterWrite = code;
      return;
    }
    this.#closeWs(sock, code, abort);
  }

  #closeWs(sock, code, abort) {
    sock.closeAfterWrite = 0;
    try {
      if (abort && typeof sock.ws.terminate === 'function') sock.ws.terminate();
      else sock.ws.close(code);
    } catch {
      // already closed
    }
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

/** Alias of createTRPCWebSocket, as @trpc/client names it. */
export const createWSClient = createTRPCWebSocket;

// ------------------------------------------------------------ the link

const identity = (data) => data;
function getTransformer(transformer) {
  if (!transformer) {
    return { input: { serialize: identity, deserialize: identity }, output: { serialize: identity, deserialize: identity } };
  }
  if ('input' in transformer) return transformer;
  return { input: transformer, output: transformer };
}

/**
 * The terminating link for @trpc/client's createTRPCClient: sends every
 * operation through `client`. `transformer` (e.g. superjson) serializes
 * inputs and deserializes results and errors.
 */
export function wsLink(opts) {
  const { client } = opts;
  const transformer = getTransformer(opts.transformer);
  return () =>
    ({ op }) =>
      observable((observer) => {
        let stateSub = null;
        if (op.type === 'subscription') {
          // The current state arrives during subscribe: a throwing
          // onConnectionStateChange must not keep the request from going out.
          let subscribing = true;
          stateSub = client.connectionState.subscribe({
            next(result) {
              const emit = () => observer.next({ result, context: op.context });
              if (subscribing) callUserCallback(emit);
              else emit();
            },
          });
          subscribing = false;
        }
        const requestSub = client.request({ op, transformer }).subscribe(observer);
        return () => {
          requestSub.unsubscribe();
          stateSub?.unsubscribe();
        };
      });
}

// ------------------------------------------------------------ test hooks

/**
 * For tests: panics inside the Go instance on purpose (kind 0: nil map
 * write, 1: panic(string), 2: index out of range). Rejects with the Error
 * the panic became; the instance keeps working.
 */
export async function _panicForTest(kind = 0) {
  await init();
  wasm.done(wasm.x.trpcws_panic(kind));
}
