// trpcws: a tRPC v11 WebSocket client whose protocol state machine is Go
// compiled to WebAssembly (../core, driven through ../jsbridge), a drop-in
// for @trpc/client's createWSClient + wsLink (11.25). This is the package's
// one entry point; the host side lives in ./lib:
//
//   lib/load.js        loading the module (init), the queue every Go call runs from
//   lib/records.js     the instance's memory: input buffer and output records
//   lib/constants.js   numbers shared with Go (generated from jsbridge/wire.go)
//   lib/protocol.js    the frames and rules early start uses (generated from core)
//   lib/options.js     option validation and the options record Go gets
//   lib/client.js      the public client (createTRPCWebSocket) and its session
//   lib/requests.js    the request manager: request(), giving calls to Go, cancelling
//   lib/dispatch.js    calls into Go and the records that come back
//   lib/delivery.js    results, events, errors to observers through the transformer
//   lib/callbacks.js   retry.shouldRetry, retryDelayMs, onEvent notes
//   lib/connection.js  the sockets Go asks for, their reports, the timer, network events
//   lib/writes.js      frames out: write scheduling, marker splicing, the encoder
//   lib/handoff.js     early start and Go taking over from it
//   lib/early.js       early start: the first calls, answered before the module loads
//   lib/socket.js      one WebSocket: URL, listeners, connection params, send, close
//   lib/url.js         the WebSocket URL rule (core.URLReason) and its TypeError
//   lib/errors.js      TRPCClientError and the errors Go describes
//   lib/observable.js  the observables @trpc/client consumes
//   lib/link.js        wsLink
export { createTRPCWebSocket } from './lib/client.js';
export {
  TRPCWebSocketAuthRefreshError,
  TRPCWebSocketClosedError,
  TRPCWebSocketFrameError,
  TRPCWebSocketNotResubscribedError,
} from './lib/errors.js';
export { init } from './lib/load.js';
export { wsLink } from './lib/link.js';
export { backoff, exponentialBackoff } from './lib/options.js';
import { createTRPCWebSocket } from './lib/client.js';

/** Alias of createTRPCWebSocket, as @trpc/client names it. */
export const createWSClient = createTRPCWebSocket;
