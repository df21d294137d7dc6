// Loading the WebAssembly module (init), the Go runtime's globals, and the
// one queue every call into Go runs from.
import { before } from '../globals.js';
import '../wasm_exec.js';
import { reportInternal } from './host.js';
import { LoadContext, checkMagic, explainLoadError } from './loaderror.js';
import { Instance } from './records.js';

const GoClass = globalThis.Go;
if (before.hadGo) globalThis.Go = before.Go;
else delete globalThis.Go;
// Stand-ins wasm_exec.js installed: present only while Go initialises (its
// syscall package reads them once) and, for `fs`, while the Go runtime
// writes (a crash report goes through the global `fs.writeSync`), so that
// importing the package leaves nothing on globalThis.
const standIns = {};
for (const name of ['fs', 'process', 'path']) {
  if (!before[name]) {
    standIns[name] = globalThis[name];
    delete globalThis[name];
  }
}

/** The running instance (an Instance), or null until init() finished. */
export let wasm = null;
let loading = null; // Promise of the running or finished load
/** Why the last load failed, or null. */
export let loadError = null;

// Go forgets a client once the JavaScript client is collected.
const finalizer =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry((cid) => schedule(() => wasm?.x.trpcws_free(cid)))
    : null;
const weak = (v) => (typeof WeakRef === 'function' ? new WeakRef(v) : v);
const deref = (ref) => (typeof WeakRef === 'function' && ref instanceof WeakRef ? ref.deref() : ref);

/** Registers client under its Go id: Go forgets it once it is collected. */
export function registerClient(cid, client) {
  finalizer?.register(client, cid);
}

// What init() loads when given nothing: the module beside index.js, or the
// WebAssembly.Module the Workers entry (workerd.js) imported.
let defaultModule = null;

/** The Workers entry's imported module: used by init() without a source (and so by the first client). */
export function setDefaultModule(module) {
  defaultModule = module;
}

function defaultSource() {
  return defaultModule ?? new URL('../trpcws.wasm', import.meta.url);
}

const isNode = () => typeof process !== 'undefined' && !!process.versions?.node;

async function readFileBytes(url) {
  const name = 'node:fs/promises';
  const fs = await import(/* @vite-ignore */ /* webpackIgnore: true */ name);
  try {
    return await fs.readFile(url);
  } catch (err) {
    // A server bundle may point the module at a browser path (Next.js's
    // server rendering does): say so, the file system's words first.
    throw new Error(
      `${err?.message ?? err} (reading ${String(url?.href ?? url)} from the file system: on a server whose bundler ` +
        "rewrote the module's URL, create the client in the browser only, or give init() the module's bytes or a file: URL)",
      { cause: err },
    );
  }
}

// Calls early start is still waiting on (early.js): the socket's handshake,
// queries and mutations without their answer, subscriptions not yet started.
// Compiling the module waits until there are none, at most EARLY_WAIT_MS, so
// that on a device with few cores its compiler threads do not slow the
// first calls down; the download does not wait.
const EARLY_WAIT_MS = 1000;
let earlyBusy = 0;
const idleWaiters = [];

/** Early start reports a change in the calls it waits on. */
export function earlyBusyChanged(delta) {
  earlyBusy += delta;
  if (earlyBusy <= 0) {
    earlyBusy = 0;
    for (const resolve of idleWaiters.splice(0)) resolve();
  }
}

/** Resolves when early start waits on nothing (checked a task later: the app's clients exist by then), or after EARLY_WAIT_MS. */
function earlyIdle() {
  return new Promise((resolve) => {
    setTimeout(() => {
      if (!earlyBusy) {
        resolve();
        return;
      }
      idleWaiters.push(resolve);
      setTimeout(resolve, EARLY_WAIT_MS);
    }, 0);
  });
}

async function compile(source, ctx) {
  source = await source;
  if (typeof WebAssembly !== 'object' || WebAssembly === null) throw new Error('WebAssembly is not defined');
  if (source instanceof WebAssembly.Module) return source;
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    checkMagic(source, ctx);
    await earlyIdle();
    return WebAssembly.compile(source);
  }
  if (typeof source === 'string' || source instanceof URL) {
    let url = null;
    try {
      url = new URL(source);
    } catch {
      // a plain path: a file in Node-like hosts, else relative to the page
    }
    ctx.source = String(source);
    if (url?.protocol === 'file:' || (!url && isNode())) {
      return compile(readFileBytes(url ?? source), ctx);
    }
    // On a few cores, receiving and decompressing the module slows the first calls' handshake down too.
    await earlyIdle();
    const resp = await fetch(source);
    if (!resp.ok) {
      ctx.status = resp.status;
      throw new Error(`HTTP ${resp.status} ${resp.statusText}`.trim());
    }
    return compile(resp, ctx);
  }
  // Checked last: touching the global Response loads undici in Node 20.
  if (typeof Response === 'function' && source instanceof Response) {
    const type = source.headers.get('content-type') ?? '';
    if (!ctx.source && source.url) ctx.source = source.url;
    ctx.type = type;
    if (!source.ok && source.status) {
      ctx.status = source.status;
      throw new Error(`HTTP ${source.status} ${source.statusText}`.trim());
    }
    if (earlyBusy) await earlyIdle();
    if (typeof WebAssembly.compileStreaming === 'function' && type.startsWith('application/wasm')) {
      return WebAssembly.compileStreaming(source);
    }
    const bytes = await source.arrayBuffer();
    checkMagic(bytes, ctx);
    return WebAssembly.compile(bytes);
  }
  throw new TypeError('trpcws: init() takes a URL, a path, bytes, a Response or a WebAssembly.Module');
}

// The Go runtime's writes (runtime.wasmWrite) see wasm_exec.js's `fs` for
// the length of the call. Each import is wrapped as found, so a newer
// wasm_exec.js with other imports keeps working.
function scopeWrites(importObject) {
  if (!('fs' in standIns)) return;
  for (const ns of Object.values(importObject)) {
    for (const [name, fn] of Object.entries(ns)) {
      if (typeof fn !== 'function' || !/wasmWrite/.test(name)) continue;
      ns[name] = function (...args) {
        const had = 'fs' in globalThis;
        if (!had) globalThis.fs = standIns.fs;
        try {
          return fn.apply(this, args);
        } finally {
          if (!had) delete globalThis.fs;
        }
      };
    }
  }
}

async function instantiate(source, ctx) {
  const module = await compile(source, ctx);
  const go = new GoClass();
  go.argv = ['trpcws'];
  go.env = {};
  go.exit = (code) => {
    if (code !== 0) reportInternal(new Error(`trpcws: the Go instance exited with code ${code}`));
  };
  scopeWrites(go.importObject);
  const instance = await WebAssembly.instantiate(module, go.importObject);
  for (const [name, value] of Object.entries(standIns)) globalThis[name] = value;
  try {
    go.run(instance).catch(reportInternal);
  } finally {
    for (const name of Object.keys(standIns)) delete globalThis[name];
  }
  if (go.exited) throw new Error('trpcws: the Go instance exited during start-up');
  return new Instance(instance, go);
}

/**
 * Loads and starts the WebAssembly module. Optional in browsers, Node, Deno
 * and Bun (the first client loads trpcws.wasm beside index.js); needed
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
  const ctx = new LoadContext();
  const p = instantiate(source ?? defaultSource(), ctx).then(
    (w) => {
      wasm = w;
      drainQueue();
    },
    (err) => {
      loadError = explainLoadError(err, ctx);
      failWaiting(loadError);
      throw loadError;
    },
  );
  loading = p;
  return p;
}

/** Whether a load has started (and not been retried since it failed). */
export const loadStarted = () => !!loading;

let autoInitQueued = false;
/** Loads the default module a microtask later, unless init() was called by then. */
export function autoInit() {
  if (wasm || loading || autoInitQueued) return;
  autoInitQueued = true;
  // A microtask later, so that init(x) called right after the first
  // createTRPCWebSocket still wins.
  queueMicrotask(() => {
    autoInitQueued = false;
    if (!loading) init().catch(() => {});
  });
}

// Every call into Go runs from this queue, one at a time and in order: the
// records of one call are carried out completely before the next call, and
// nothing re-enters Go (the retry hook runs inside a call; what it starts
// waits here). Until the instance is ready everything waits here too.
const queue = [];
let queueHead = 0;
let draining = false;

/** Runs task from the queue: now if the queue is idle, else after what is queued. */
export function schedule(task) {
  if (!wasm || draining) {
    queue.push(task);
    return;
  }
  // Idle (the queue is empty whenever nothing drains it): run task now,
  // then what it scheduled.
  draining = true;
  try {
    task();
  } catch (err) {
    reportInternal(err);
  } finally {
    draining = false;
  }
  if (queueHead < queue.length) drainQueue();
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

// Clients waiting for the instance, told when it fails to load.
const waiting = new Set();

/** Adds a waiter (fn(err) is called if the load fails); returns its removal. */
export function whenLoadFails(client) {
  const ref = weak(client);
  waiting.add(ref);
  return () => waiting.delete(ref);
}

function failWaiting(err) {
  for (const ref of waiting) deref(ref)?._loadFailed(err);
}
