// createTRPCWebSocket's options: validation (a TypeError naming the option)
// and the options record Go gets (jsbridge/wire.go's optionFields).
import { BACKOFF_BASE_MS, BACKOFF_MAX_MS, OPTION_FIELDS } from './constants.js';
import { isObject } from './host.js';
import { urlProblem } from './url.js';

/**
 * The reference client's default retry delay: 0 for the first attempt, then
 * min(1000·2^attempt, 30000) ms (core.ExponentialBackoff).
 */
export function exponentialBackoff(attemptIndex) {
  return attemptIndex === 0 ? 0 : Math.min(BACKOFF_BASE_MS * 2 ** attemptIndex, BACKOFF_MAX_MS);
}

/**
 * A retryDelayMs with exponential backoff and jitter: attempt 0 → 0, then
 * with jitter 'full' a uniform delay in [0, min(maxMs, baseMs·2^attempt)],
 * with jitter 'none' that bound itself.
 */
export function backoff({ baseMs = BACKOFF_BASE_MS, maxMs = BACKOFF_MAX_MS, jitter = 'full' } = {}) {
  if (typeof baseMs !== 'number' || !(baseMs >= 0)) throw new TypeError('backoff: `baseMs` must be a number >= 0');
  if (typeof maxMs !== 'number' || !(maxMs >= 0)) throw new TypeError('backoff: `maxMs` must be a number >= 0');
  if (jitter !== 'full' && jitter !== 'none') throw new TypeError("backoff: `jitter` must be 'full' or 'none'");
  return (attempt) => {
    if (attempt === 0) return 0;
    const bound = Math.min(maxMs, baseMs * 2 ** attempt);
    return jitter === 'full' ? Math.random() * bound : bound;
  };
}

export const NO_WEBSOCKET =
  "No WebSocket implementation found - you probably don't want to use this on the server, but if you do you need to pass a `WebSocket`-ponyfill";

/**
 * The reference's NO_WEBSOCKET, and in Node (whose global WebSocket came
 * in Node 22; Node 20 has it behind a flag) what to do about it.
 */
export function noWebSocketMessage() {
  const node = globalThis.process?.versions?.node;
  if (!node) return NO_WEBSOCKET;
  return (
    `${NO_WEBSOCKET}. Node ${node} has no global WebSocket: use Node 22 or later, start Node 20 with ` +
    "--experimental-websocket, or pass one, e.g. `createTRPCWebSocket({ url, WebSocket })` with WebSocket from the 'ws' package"
  );
}

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

/** Whether f can be called with `new` (without calling it). */
function isConstructor(f) {
  if (typeof f !== 'function') return false;
  try {
    Reflect.construct(String, [], f);
    return true;
  } catch {
    return false;
  }
}

/** Whether v is an encoder as experimental_encoder takes it. */
function isEncoder(v) {
  return isObject(v) && typeof v.encode === 'function' && typeof v.decode === 'function';
}

/**
 * Validates createTRPCWebSocket's options; throws a TypeError naming the
 * first wrong one. Returns what the client needs besides opts itself:
 * {lazy, encoder, record} where record holds one number per field of
 * OPTION_FIELDS (booleans as 0/1, a function given as 1, absent as 0: Go
 * applies its defaults, e.g. keepAlive's 5000/1000).
 */
export function checkOptions(opts) {
  if (!isObject(opts)) throw new TypeError('createTRPCWebSocket: options must be an object with at least `url`');
  const url = opts.url;
  if (typeof url !== 'string' && typeof url !== 'function' && !(url instanceof URL)) {
    throw typeError('url', 'a string or a function returning one', url);
  }
  if (typeof url !== 'function') {
    const reason = urlProblem(String(url));
    if (reason) throw typeError('url', `a ws:// or wss:// URL (${reason})`, String(url));
  }
  const cp = opts.connectionParams;
  if (cp !== undefined && cp !== null && typeof cp !== 'function' && !isObject(cp)) {
    throw typeError('connectionParams', 'an object, null or a function returning one', cp);
  }
  if (opts.WebSocket !== undefined && !isConstructor(opts.WebSocket)) {
    throw typeError('WebSocket', 'a WebSocket constructor', opts.WebSocket);
  }
  if (opts.createWebSocket !== undefined) {
    if (typeof opts.createWebSocket !== 'function') {
      throw typeError('createWebSocket', 'a function returning a WebSocket or a Promise of one', opts.createWebSocket);
    }
    if (opts.WebSocket !== undefined) throw new TypeError('createTRPCWebSocket: give `WebSocket` or `createWebSocket`, not both');
  }
  const encoder = opts.experimental_encoder;
  if (encoder !== undefined && !isEncoder(encoder)) {
    throw typeError('experimental_encoder', 'an object with encode and decode functions', encoder);
  }
  for (const name of ['retryDelayMs', 'onOpen', 'onError', 'onClose', 'onEvent', 'refreshAuth']) optFunction(opts, name);
  const closeCodes = opts.refreshAuthCloseCodes;
  if (
    closeCodes !== undefined &&
    !(Array.isArray(closeCodes) && closeCodes.length <= 4 && closeCodes.every((c) => Number.isInteger(c) && c >= 1000 && c <= 4999))
  ) {
    throw typeError('refreshAuthCloseCodes', 'an array of up to 4 WebSocket close codes (integers 1000-4999)', closeCodes);
  }
  const retryMutations = optBool(opts, 'refreshAuthRetryMutations', 'refreshAuthRetryMutations');
  const lazy = optObject(opts, 'lazy');
  const keepAlive = optObject(opts, 'keepAlive');
  const retry = optObject(opts, 'retry');
  if (retry.shouldRetry !== undefined && typeof retry.shouldRetry !== 'function') {
    throw typeError('retry.shouldRetry', 'a function', retry.shouldRetry);
  }
  const maxAttempts = optMs(retry, 'maxAttempts', 'retry.maxAttempts', 1);
  if (maxAttempts !== undefined && !Number.isInteger(maxAttempts)) throw typeError('retry.maxAttempts', 'a positive integer', maxAttempts);
  const maxQueued = optMs(opts, 'maxQueued', 'maxQueued', 1);
  if (maxQueued !== undefined && !Number.isInteger(maxQueued)) throw typeError('maxQueued', 'a positive integer', maxQueued);
  const debug = optBool(opts, 'debug', 'debug') ?? false;
  const networkAware = optBool(opts, 'networkAware', 'networkAware');
  const earlyStart = optBool(opts, 'earlyStart', 'earlyStart');
  const values = {
    'lazy.enabled': optBool(lazy, 'enabled', 'lazy.enabled') ?? false,
    'lazy.closeMs': optMs(lazy, 'closeMs', 'lazy.closeMs', 0) ?? 0,
    'keepAlive.enabled': optBool(keepAlive, 'enabled', 'keepAlive.enabled') ?? false,
    'keepAlive.intervalMs': optMs(keepAlive, 'intervalMs', 'keepAlive.intervalMs', 1) ?? 0,
    'keepAlive.pongTimeoutMs': optMs(keepAlive, 'pongTimeoutMs', 'keepAlive.pongTimeoutMs', 1) ?? 0,
    retryDelayMs: opts.retryDelayMs !== undefined,
    connectionParams: cp !== undefined && cp !== null,
    'retry.shouldRetry': retry.shouldRetry !== undefined,
    'retry.maxAttempts': maxAttempts ?? 0,
    'retry.minUptimeMs': optMs(retry, 'minUptimeMs', 'retry.minUptimeMs', 0) ?? 0,
    connectTimeoutMs: optMs(opts, 'connectTimeoutMs', 'connectTimeoutMs', 1) ?? 0,
    requestTimeoutMs: optMs(opts, 'requestTimeoutMs', 'requestTimeoutMs', 1) ?? 0,
    maxQueued: maxQueued ?? 0,
    onEvent: opts.onEvent !== undefined || debug,
    maxConnectionAgeMs: optMs(opts, 'maxConnectionAgeMs', 'maxConnectionAgeMs', 1) ?? 0,
    // Packed in one number (see options.refreshAuth in jsbridge/wire.go).
    refreshAuth:
      opts.refreshAuth === undefined
        ? 0
        : (closeCodes ?? []).reduce(
            (v, c, i) => v + 32 * (c - 1000) * 4096 ** i,
            1 + (retryMutations ? 1 : 0) + (closeCodes ? 2 + 4 * closeCodes.length : 0),
          ),
  };
  // Where the max-age jitter starts (jsbridge's jitter): one per client.
  if (values.maxConnectionAgeMs) values.jitterSeed = Math.random();
  const record = OPTION_FIELDS.map((name) => Number(values[name] ?? 0));
  return {
    lazy: values['lazy.enabled'],
    encoder,
    record,
    debug,
    networkAware: networkAware ?? true,
    // Answering the first calls from JavaScript while the module loads
    // (early.js) covers plain calls: not with an encoder, a request
    // timeout or a bounded queue, which only Go enforces.
    earlyStart: (earlyStart ?? true) && !encoder && !values.requestTimeoutMs && !values.maxQueued && !values.refreshAuth,
    hasParams: values.connectionParams,
  };
}
