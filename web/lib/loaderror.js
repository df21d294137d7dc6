// Why the WebAssembly module could not be loaded, in words that say what to
// do: init() rejects with this error and every call of every client fails
// with it (errors.js loadFailure), connectionState carries it.
import { loadClosedError } from './errors.js';
import { callUserCallback } from './host.js';
import { emit, setState } from './state.js';

/**
 * What a load was doing when it failed: the source as shown to the user,
 * and for a fetched module the HTTP status and content type.
 */
export class LoadContext {
  constructor() {
    this.source = '';
    this.status = 0;
    this.type = '';
  }
}

const SERVING = 'see "Serving the wasm" in the trpcws docs (docs/serving.md)';

// The words engines use when a Content Security Policy refuses WebAssembly:
// Chromium "Refused to compile or instantiate WebAssembly module because
// 'unsafe-eval' is not an allowed source of script…", Firefox "call to
// WebAssembly.compile() blocked by CSP", WebKit "Refused to create a
// WebAssembly object because 'unsafe-eval' or 'wasm-unsafe-eval' is not…".
const CSP_WORDS = /content security policy|unsafe-eval|\bCSP\b/i;
// workerd and V8 embedders that forbid run-time code generation.
const CODEGEN_WORDS = /code generation|disallowed by embedder/i;

/**
 * Returns the error a failed load is reported with: a new Error whose
 * message says why and what to do, with the original as its cause and
 * `reason` one of 'no-webassembly', 'csp', 'no-codegen', 'http',
 * 'not-wasm', 'start' (the Go instance did not start) or 'other'.
 * TypeErrors for a bad init() argument are returned unchanged.
 */
export function explainLoadError(err, ctx) {
  if (err instanceof TypeError && /^trpcws: init\(\) takes/.test(err.message)) return err;
  const words = String(err?.message ?? err);
  const from = ctx.source ? ` from ${ctx.source}` : '';
  let reason = 'other';
  let message;
  if (typeof WebAssembly !== 'object' || WebAssembly === null) {
    reason = 'no-webassembly';
    message =
      'this JavaScript engine has no WebAssembly (it is turned off, e.g. by a JIT-less or lockdown mode, or the engine predates it); trpcws needs it';
  } else if (CSP_WORDS.test(words)) {
    reason = 'csp';
    message =
      "the page's Content-Security-Policy does not allow compiling WebAssembly: add 'wasm-unsafe-eval' to its script-src " +
      `(for example script-src 'self' 'wasm-unsafe-eval'); ${SERVING}`;
  } else if (CODEGEN_WORDS.test(words)) {
    reason = 'no-codegen';
    message =
      'this host does not compile WebAssembly at run time (Cloudflare Workers, workerd): import trpcws.wasm as a module and pass it to init(module), ' +
      "or let the package's workerd export condition do it (import from 'trpcws' in a Worker bundle)";
  } else if (ctx.status) {
    reason = 'http';
    message = `fetching the module${from} answered HTTP ${ctx.status}: serve trpcws.wasm at that URL (a bundler emits it with the app) or pass its URL to init(); ${SERVING}`;
  } else if (/^trpcws: not a WebAssembly module/.test(words) || err?.name === 'CompileError') {
    reason = 'not-wasm';
    const type = ctx.type ? ` (content-type ${ctx.type})` : '';
    message =
      `what was loaded${from}${type} is not trpcws's WebAssembly module: a server answering every path with a page, or a stale or truncated file, ` +
      `is the usual cause; serve trpcws.wasm as application/wasm; ${SERVING}`;
  } else if (/^trpcws: the Go instance/.test(words)) {
    reason = 'start';
    message = `the module loaded${from} but its Go program did not start`;
  } else {
    message = `loading the module${from} failed`;
  }
  const out = new Error(`trpcws: ${message} (${words})`, { cause: err });
  out.name = 'TRPCWebSocketLoadError';
  out.reason = reason;
  return out;
}

/** Throws unless bytes begin with WebAssembly's magic number (\0asm). */
export function checkMagic(bytes, ctx) {
  const b = bytes instanceof ArrayBuffer ? new Uint8Array(bytes, 0, Math.min(4, bytes.byteLength)) : new Uint8Array(bytes.buffer, bytes.byteOffset, Math.min(4, bytes.byteLength));
  if (b.length === 4 && b[0] === 0 && b[1] === 0x61 && b[2] === 0x73 && b[3] === 0x6d) return;
  const head = [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');
  throw new Error(`trpcws: not a WebAssembly module${ctx.source ? ` at ${ctx.source}` : ''} (it begins with ${head || 'nothing'})`);
}

/**
 * Tells a client's app that the module failed to load (err from init()):
 * connectionState gets {state: 'connecting', error} as the reference
 * reports a connection that cannot be made (the error a
 * TRPCWebSocketClosedError saying why, err its cause), onEvent that
 * 'state' and a 'loadFailed' event, and onError the same error. s: the
 * client's session.
 */
export function announceLoadFailure(s, err) {
  const error = loadClosedError(err);
  setState(s, 'connecting', error);
  emit(s, { type: 'loadFailed', at: Date.now(), error });
  const { onError } = s.opts;
  if (onError) callUserCallback(() => onError(error));
}
