// Typecheck fixture (tsc --strict, web/test/types/tsconfig.json): options typed as
// @trpc/client's own WebSocketClientOptions (11.25.2) are accepted by trpcws's
// createWSClient as they are, while trpcws's own onError still sees the
// TRPCWebSocketFrameError it also reports.
import { createWSClient as referenceCreateWSClient, type WebSocketClientOptions } from '@trpc/client';
import { createTRPCWebSocket, createWSClient, TRPCWebSocketFrameError, type TRPCWebSocketOptions } from '../../index.js';

export function fromReference(opts: WebSocketClientOptions) {
  // The same options object, handed to either client.
  referenceCreateWSClient(opts);
  createWSClient(opts);
  createTRPCWebSocket(opts);
  const ours: TRPCWebSocketOptions = opts;
  return ours;
}

// Every callback the reference types, written against the reference's types.
const referenceOptions: WebSocketClientOptions = {
  url: () => 'ws://localhost:3000',
  connectionParams: () => ({ token: 'x' }),
  retryDelayMs: (attempt: number) => attempt * 100,
  lazy: { enabled: true, closeMs: 100 },
  keepAlive: { enabled: true, intervalMs: 1000, pongTimeoutMs: 500 },
  onOpen: () => {},
  onError: (evt?: Event) => void evt?.type,
  onClose: (cause?: { code?: number }) => void cause?.code,
};
createWSClient(referenceOptions);
createWSClient({ ...referenceOptions, retry: { maxAttempts: 3 } });

// A handler kept in a variable of the reference's onError type.
const referenceOnError: NonNullable<WebSocketClientOptions['onError']> = (evt) => void evt;
createWSClient({ url: 'ws://localhost:3000', onError: referenceOnError });

// trpcws's onError, written inline, is told about dropped frames too.
createWSClient({
  url: 'ws://localhost:3000',
  onError: (evt) => {
    if (evt instanceof TRPCWebSocketFrameError) {
      const frame: string | ArrayBuffer | ArrayBufferView | Blob = evt.frame;
      return void frame;
    }
    const e: Event | undefined = evt;
    return void e;
  },
});

// Still checked: a handler for something else entirely is refused.
// @ts-expect-error onError takes an Event or a TRPCWebSocketFrameError, not a number
createWSClient({ url: 'ws://localhost:3000', onError: (n: number) => void n });
// @ts-expect-error onError must be a function
createWSClient({ url: 'ws://localhost:3000', onError: 'log' });
