// trpcws: a tRPC v11 WebSocket client whose protocol state machine is Go
// compiled to WebAssembly (../core, driven through ../jsbridge), a drop-in
// for @trpc/client's createWSClient + wsLink (11.25). This is the package's
// one entry point; the host side lives in ./lib:
//
//   lib/load.js        loading the module (init), the queue every Go call runs from
//   lib/records.js     the instance's memory: input buffer and output records
//   lib/constants.js   numbers shared with Go (generated from jsbridge/wire.go)
//   lib/options.js     option validation and the options record Go gets
//   lib/client.js      the client: requests, Go calls and their records, close()
//   lib/socket.js      one WebSocket: URL, listeners, connection params, send, close
//   lib/errors.js      TRPCClientError and the errors Go describes
//   lib/observable.js  the observables @trpc/client consumes
//   lib/link.js        wsLink
export { createTRPCWebSocket } from './lib/client.js';
export { TRPCWebSocketClosedError, TRPCWebSocketFrameError } from './lib/errors.js';
export { init } from './lib/load.js';
export { wsLink } from './lib/link.js';
export { backoff, exponentialBackoff } from './lib/options.js';
import { createTRPCWebSocket } from './lib/client.js';

/** Alias of createTRPCWebSocket, as @trpc/client names it. */
export const createWSClient = createTRPCWebSocket;
