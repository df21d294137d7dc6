// The errors calls fail with, as @trpc/client makes them: TRPCClientError
// (@trpc/client's own class), the cause of a lost socket
// (TRPCWebSocketClosedError), and the error descriptions Go writes
// (jsbridge/errors.go) turned into those values.
//
// TRPCClientError is imported statically, and only it: a bundler then shares
// it with the app's own import of @trpc/client (which createTRPCClient needs
// anyway) and tree-shakes the rest, where a dynamic import('@trpc/client')
// pulled the whole package into a bundle that does not split (issue #25).
// @trpc/client is a peer dependency, so it is there wherever wsLink is used.
import { TRPCClientError } from '@trpc/client';
import { isObject } from './host.js';

function isErrorResponse(v) {
  return isObject(v) && isObject(v.error) && typeof v.error.code === 'number' && typeof v.error.message === 'string';
}

/** TRPCClientError.from(cause), as @trpc/client makes its errors. */
export function clientError(cause) {
  const err = TRPCClientError.from(cause);
  // Another copy of @trpc/client (the app's own) rewraps an error that is
  // not its TRPCClientError; through this field its TRPCClientError.from
  // still finds the server's error shape and data. Not enumerable, so the
  // error compares equal to the reference's.
  if (isErrorResponse(cause) && err && typeof err === 'object' && !('error' in err)) {
    Object.defineProperty(err, 'error', { value: cause.error, enumerable: false, configurable: true });
  }
  return err;
}

/** The reference's error for a lost or unusable socket. */
export class TRPCWebSocketClosedError extends Error {
  constructor(opts) {
    super(opts.message, { cause: opts.cause });
    this.name = 'TRPCWebSocketClosedError';
  }
}

/**
 * A server frame that was dropped (malformed, or one experimental_encoder
 * could not decode), reported through the onError option; the connection
 * carries on. frame is the frame as received (text, or binary with an
 * encoder), cause the decoder's error, if any.
 */
export class TRPCWebSocketFrameError extends Error {
  constructor(message, frame, cause) {
    super(message, { cause });
    this.name = 'TRPCWebSocketFrameError';
    this.frame = frame;
  }
}

/** A result or error the transformer could not deserialize (the reference's message). */
export class TransformResultError extends Error {
  constructor() {
    super('Unable to transform response from server');
  }
}

/** A call with no answer within requestTimeoutMs (or its context's timeoutMs), or a connect attempt over connectTimeoutMs. */
export class TimeoutError extends Error {
  constructor(message) {
    super(message);
    this.name = 'TimeoutError';
  }
}

/** A call refused because maxQueued calls already wait for a socket. */
export class QueueFullError extends Error {
  constructor(message) {
    super(message);
    this.name = 'QueueFullError';
  }
}

/**
 * How a subscription started with `{ context: { resubscribe: false } }`
 * ends where it would be sent again after a reconnect or a socket move
 * (the cause of the TRPCClientError its onError gets).
 */
export class TRPCWebSocketNotResubscribedError extends Error {
  constructor(message) {
    super(message);
    this.name = 'TRPCWebSocketNotResubscribedError';
    this.code = 'NOT_RESUBSCRIBED';
  }
}

/** The cause connectionState and the calls carry when the WebAssembly module could not be loaded. */
export function loadClosedError(err) {
  const why = String(err?.message ?? err).replace(/^trpcws: /, '');
  return new TRPCWebSocketClosedError({ message: `trpcws: the WebAssembly module failed to load: ${why}`, cause: err });
}

/**
 * Why the calls that waited for refreshAuth failed, when it threw or
 * rejected (the cause of their TRPCClientError, and of connectionState's
 * error when the refresh stood for a connection attempt): cause is what it
 * threw, reason what started the refresh ({error, closeCode}, as refreshAuth
 * got it).
 */
export class TRPCWebSocketAuthRefreshError extends Error {
  constructor(cause, reason) {
    const text = typeof cause?.message === 'string' ? cause.message : cause === undefined ? '' : String(cause);
    super(text ? `trpcws: auth refresh failed: ${text}` : 'trpcws: auth refresh failed', { cause });
    this.name = 'TRPCWebSocketAuthRefreshError';
    this.code = 'AUTH_REFRESH_FAILED';
    this.reason = reason;
  }
}

/** The error calls get when the WebAssembly module could not be loaded. */
export function loadFailure(err) {
  return clientError(loadClosedError(err));
}

// JavaScript values (close/error events, thrown errors) Go refers to by
// handle in its error descriptions. The last few hundred are kept.
const causes = new Map();
let causeSeq = 0;

/** Keeps value for Go to refer to; returns its handle (never 0). */
export function keepCause(value) {
  const h = ++causeSeq;
  causes.set(h, value);
  if (causes.size > 256) causes.delete(causes.keys().next().value);
  return h;
}

/**
 * Builds the reference client's error from a Go error description (see
 * jsbridge/errors.go); transformer deserializes a server error's shape.
 */
export function errorFromDesc(desc, transformer) {
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
    case 'gaveUp':
      return clientError(closedFromDesc(desc));
    default:
      return clientError(causeFromDesc(desc));
  }
}

/**
 * The error of a call that failed: errorFromDesc, except that a query or
 * mutation lost with its socket fails as the reference fails it, with
 * TRPCClientError.from(the socket's close or error event) (message
 * "Unknown error", the event as cause), not with the connection state's
 * "WebSocket closed".
 */
export function callErrorFromDesc(desc, transformer) {
  if (desc?.t === 'closed' && desc.cause?.t === 'js') {
    const event = causes.get(desc.cause.h);
    if (event !== undefined) return clientError(event);
  }
  return errorFromDesc(desc, transformer);
}

/**
 * A closed or give-up description as a TRPCWebSocketClosedError. A give-up's
 * message names what ended the last attempt: the messages along its cause
 * chain (e.g. "…after 3 failed attempts: Initialization error: connect
 * ECONNREFUSED"), read from the real JavaScript values.
 */
function closedFromDesc(desc) {
  const cause = causeFromDesc(desc.cause);
  let message = desc.message;
  if (desc.t === 'gaveUp') {
    const texts = [];
    for (let c = cause, depth = 0; c && depth < 4; c = c.cause, depth++) {
      const text = typeof c.message === 'string' ? c.message : typeof c.reason === 'string' ? c.reason : '';
      if (text && !texts.includes(text)) texts.push(text);
    }
    if (texts.length) message += `: ${texts.join(': ')}`;
  }
  return new TRPCWebSocketClosedError({ message, cause });
}

/** The value a description stands for (a retry's or an event's cause). */
export function valueFromDesc(desc) {
  return causeFromDesc(desc);
}

/** The value a description stands for as an error's cause. */
function causeFromDesc(desc) {
  switch (desc?.t) {
    case undefined:
      return undefined;
    case 'js':
      return causes.get(desc.h);
    case 'trpc':
      return isObject(desc.error) ? clientError({ error: desc.error }) : undefined;
    case 'closed':
    case 'gaveUp':
      return closedFromDesc(desc);
    case 'timeout':
      return new TimeoutError(desc.message);
    case 'queueFull':
      return new QueueFullError(desc.message);
    case 'notResubscribed':
      return new TRPCWebSocketNotResubscribedError(desc.message);
    default:
      return new Error(desc.message);
  }
}
