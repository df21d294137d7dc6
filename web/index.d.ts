// Types of trpcws (web/index.js): the same surface as @trpc/client's
// createWSClient and wsLink (11.x), plus init() for the WebAssembly module.
import type {
  Operation,
  OperationResultEnvelope,
  TRPCClientError,
  TRPCLink,
  WebSocketClientOptions,
  WebSocketLinkOptions,
} from '@trpc/client';
import type { TRPCConnectionState } from '@trpc/client/unstable-internals';
import type { AnyRouter } from '@trpc/server';
import type { Observable, Observer, Unsubscribable } from '@trpc/server/observable';
import type { CombinedDataTransformer } from '@trpc/server/unstable-core-do-not-import';

/** What init() accepts: where the .wasm is, its bytes, a Response, or the compiled module. */
export type WasmSource =
  | string
  | URL
  | ArrayBuffer
  | ArrayBufferView
  | Response
  | PromiseLike<Response>
  | WebAssembly.Module
  | { module: WebAssembly.Module };

/**
 * Loads and starts the WebAssembly module; resolves when it is ready.
 * Optional in browsers, Node, Deno and Bun (the first client loads
 * `trpcws.wasm` from beside index.js); required where code cannot be
 * compiled at run time (workerd: pass the imported `WebAssembly.Module`).
 */
export declare function init(source?: WasmSource): Promise<void>;

/**
 * createTRPCWebSocket's options: @trpc/client's createWSClient options,
 * `experimental_encoder` included. `onError` also receives a
 * TRPCWebSocketFrameError for each server frame that was dropped.
 */
export type TRPCWebSocketOptions = Omit<WebSocketClientOptions, 'onError'> & {
  /**
   * A socket error (its Event), or a dropped server frame (a TRPCWebSocketFrameError:
   * tell them apart with `instanceof`). Declared as a method so that options typed as
   * @trpc/client's WebSocketClientOptions, whose onError takes `(evt?: Event)`, are
   * accepted under strictFunctionTypes; such a handler may still be given a
   * TRPCWebSocketFrameError. When the WebAssembly module cannot be loaded (a CSP without
   * 'wasm-unsafe-eval', a 404, no WebAssembly) it gets that TRPCWebSocketClosedError once.
   */
  onError?(evt?: Event | TRPCWebSocketFrameError): void;
  /**
   * Makes the WebSocket for a URL instead of `new WebSocket(url)`: a WebSocket, or a Promise of
   * one, connecting or already open (no open event needed), e.g. Cloudflare Workers'
   * `fetch(url, { headers: { Upgrade: 'websocket' } })` then `resp.webSocket.accept()`.
   * Not with the `WebSocket` option.
   */
  createWebSocket?: (url: string) => WebSocket | Promise<WebSocket>;
  /** Retry limits (default: retry forever, as the reference). */
  retry?: {
    /** Give up after this many failed attempts in a row (the first connect counts). */
    maxAttempts?: number;
    /** Asked before each reconnect attempt; false gives up. */
    shouldRetry?: (info: TRPCWebSocketRetryInfo) => boolean;
    /** A socket must stay open this long before the attempt index goes back to 0 (default 0). */
    minUptimeMs?: number;
  };
  /** An attempt not open (connection params sent) within this time fails (default: none). */
  connectTimeoutMs?: number;
  /** A query or mutation without an answer within this time fails with cause.name 'TimeoutError' (default: none; per call: context.timeoutMs). */
  requestTimeoutMs?: number;
  /** At most this many calls wait for a socket; one more fails with cause.name 'QueueFullError' (default: no bound). */
  maxQueued?: number;
  /**
   * Once a socket is this old (plus a random jitter of up to a tenth of it), move to a new one
   * make-before-break, as for the server's reconnect request: subscriptions resume from their
   * last event id, calls in flight finish on the old socket. A lazy client with nothing to do
   * closes instead. For platforms that end connections on a schedule (default: none).
   */
  maxConnectionAgeMs?: number;
  /**
   * Renews credentials the server refused: called (outside the core, never twice at once) when a
   * call fails with UNAUTHORIZED or the server closes with a code of refreshAuthCloseCodes. Once it
   * resolves, the client moves make-before-break to a socket opened with fresh connectionParams
   * and retries there, once, the queries and subscriptions that failed. A throw or rejection fails
   * the calls that waited with a TRPCClientError whose cause is a TRPCWebSocketAuthRefreshError;
   * standing for a connection attempt, it counts as a failed one (retry.maxAttempts). Default: none.
   * Turns earlyStart off.
   */
  refreshAuth?: (reason: TRPCWebSocketAuthReason) => unknown;
  /** Also retries a mutation that failed with UNAUTHORIZED after refreshAuth (default false). */
  refreshAuthRetryMutations?: boolean;
  /** The close codes (up to 4, 1000-4999) that start refreshAuth (default [4401, 4403, 1008]; [] none). */
  refreshAuthCloseCodes?: number[];
  /**
   * Browsers: react to online/offline and a page shown again, and close the socket on pagehide
   * (so the page can enter the back/forward cache), resuming subscriptions after their last
   * event id on pageshow from the cache (default true where window exists).
   */
  networkAware?: boolean;
  /**
   * While the WebAssembly module loads, open the socket and run queries, mutations and
   * subscriptions from JavaScript; Go takes the socket and the live calls over once it runs.
   * The module's download and compile wait (at most 1 s) until the first calls are answered
   * (default true; not with experimental_encoder, requestTimeoutMs, maxQueued or refreshAuth).
   */
  earlyStart?: boolean;
  /** What happened: state changes, attempts, opens, closes, give-up, timeouts, refused calls. */
  onEvent?: (event: TRPCWebSocketEvent) => void;
  /** Logs every event through console.debug. */
  debug?: boolean;
};

/** What refreshAuth is told: the refusal (the UNAUTHORIZED TRPCClientError, or the closed socket's error) and, for a close, its code. */
export interface TRPCWebSocketAuthReason {
  error?: unknown;
  closeCode?: number;
}

/** What shouldRetry is told: the attempt about to run and what ended the last one. */
export interface TRPCWebSocketRetryInfo {
  attempt: number;
  code?: number;
  reason?: string;
  error?: unknown;
}

/** One entry of onEvent's stream. */
export interface TRPCWebSocketEvent {
  /** 'state': connectionState took a new value (each one after its first), with `state` and, when it has one, `error`. */
  type: 'state' | 'attempt' | 'open' | 'close' | 'giveUp' | 'timeout' | 'queueFull' | 'loadFailed';
  /** Date.now() when it was reported. */
  at: number;
  /** With 'state': the new connectionState's state. */
  state?: TRPCWebSocketConnectionState['state'];
  attempt?: number;
  delayMs?: number;
  socket?: number;
  requestId?: number;
  code?: number;
  error?: unknown;
}

/** client.stats(). */
export interface TRPCWebSocketStats {
  state: 'idle' | 'connecting' | 'pending';
  socketsOpened: number;
  reconnects: number;
  attempt: number;
  queued: number;
  inFlight: number;
  subscriptions: number;
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  lastPingRttMs: number | null;
  connectedAt: number | null;
}

/** The connection state a client reports. */
export type TRPCWebSocketConnectionState = TRPCConnectionState<TRPCClientError<AnyRouter>>;

/** A client made by createTRPCWebSocket: pass it to wsLink. */
export interface TRPCWebSocket {
  /** The connection state; a new subscriber gets the current value at once. */
  readonly connectionState: Observable<TRPCWebSocketConnectionState, never> & {
    get(): TRPCWebSocketConnectionState;
  };
  /**
   * Sends an operation. Each subscription to the returned observable is a
   * new request; unsubscribing abandons it (a subscription is stopped on the
   * server).
   */
  request(opts: {
    op: Pick<Operation, 'id' | 'type' | 'path' | 'input' | 'signal'>;
    transformer: CombinedDataTransformer;
    lastEventId?: string;
  }): Observable<OperationResultEnvelope<unknown, TRPCClientError<AnyRouter>>, TRPCClientError<AnyRouter>>;
  /**
   * Completes subscriptions, fails requests not yet sent, waits for those in
   * flight, then closes the socket. The client stays usable.
   */
  close(): Promise<void>;
  /**
   * Reconnects now: in backoff, attempts at once; when connected, moves to
   * a new socket make-before-break (as on the server's reconnect request).
   */
  reconnect(): void;
  /** Counters and state, read from the core. */
  stats(): TRPCWebSocketStats;
  /**
   * The socket in use and its state, as @trpc/client reports it: null while
   * there is no WebSocket (before the first, while the URL resolves, after
   * the last one closed).
   */
  readonly connection: {
    id: number;
    state: 'open' | 'closed' | 'connecting';
    ws: WebSocket;
  } | null;
}

/**
 * Creates a client, synchronously (calls made before the WebAssembly module
 * is ready wait for it). Throws a TypeError naming the option when one has
 * the wrong type, and an Error when there is no WebSocket implementation.
 */
export declare function createTRPCWebSocket(opts: TRPCWebSocketOptions): TRPCWebSocket;

/** Alias of createTRPCWebSocket, under @trpc/client's name. */
export declare const createWSClient: typeof createTRPCWebSocket;

/** wsLink's options: as @trpc/client's, with a trpcws client. */
export type TRPCWebSocketLinkOptions<TRouter extends AnyRouter> = Omit<WebSocketLinkOptions<TRouter>, 'client'> & {
  client: TRPCWebSocket;
};

/**
 * What this package reads of an operation's `context` (`{ context: {...} }` on a call), as
 * a type to check yours against; @trpc/client types `context` as a plain record.
 */
export type TRPCWebSocketContext = {
  /** A query's or mutation's own request timeout, overriding requestTimeoutMs (Infinity: none). */
  timeoutMs?: number;
  /**
   * false: a subscription is not sent again after a reconnect or a socket move (for one with
   * side effects on the server); where it would be, it ends with onError, its cause a
   * TRPCWebSocketNotResubscribedError. Default true, as the reference (which always resubscribes).
   */
  resubscribe?: boolean;
};

/**
 * The terminating link for createTRPCClient: sends every operation through `client`
 * (reading `context.timeoutMs` and `context.resubscribe`: TRPCWebSocketContext).
 */
export declare function wsLink<TRouter extends AnyRouter>(opts: TRPCWebSocketLinkOptions<TRouter>): TRPCLink<TRouter>;

/** A retryDelayMs: 0 first, then (jitter 'full') uniform in [0, min(maxMs, baseMs·2^attempt)]. */
export declare function backoff(opts?: { baseMs?: number; maxMs?: number; jitter?: 'full' | 'none' }): (attemptIndex: number) => number;

/** The reference client's retry delay: 0, then min(1000·2^attempt, 30000) ms. */
export declare function exponentialBackoff(attemptIndex: number): number;

/**
 * A server frame the client dropped (malformed, or one experimental_encoder
 * could not decode), given to the onError option; the connection carries on.
 */
export declare class TRPCWebSocketFrameError extends Error {
  readonly name: 'TRPCWebSocketFrameError';
  /** The frame as it arrived: text, or binary data with an encoder. */
  readonly frame: string | ArrayBuffer | ArrayBufferView | Blob;
  readonly cause?: unknown;
}

/**
 * The cause of the TRPCClientError a subscription started with
 * `{ context: { resubscribe: false } }` ends with (onError) where it would
 * have been sent again: its socket was lost, or the client moved to a new
 * socket (the server's reconnect request, reconnect(), maxConnectionAgeMs).
 */
export declare class TRPCWebSocketNotResubscribedError extends Error {
  readonly name: 'TRPCWebSocketNotResubscribedError';
  readonly code: 'NOT_RESUBSCRIBED';
}

/** The cause of the errors a lost or unusable socket gives (as @trpc/client's). */
export declare class TRPCWebSocketClosedError extends Error {
  constructor(opts: { message: string; cause?: unknown });
}

/** The cause of the calls that waited for refreshAuth when it threw or rejected. */
export declare class TRPCWebSocketAuthRefreshError extends Error {
  constructor(cause: unknown, reason: TRPCWebSocketAuthReason);
  readonly code: 'AUTH_REFRESH_FAILED';
  /** What started the refresh. */
  readonly reason: TRPCWebSocketAuthReason;
}

export type { Observer, Unsubscribable };
