// wsLink: the terminating link for @trpc/client's createTRPCClient.
import { callUserCallback } from './host.js';
import { observable } from './observable.js';

const identity = (data) => data;

/** The combined {input, output} transformer of a link's `transformer` option. */
export function getTransformer(transformer) {
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
    ({ op }) => {
      // A query or mutation is the client's request itself: there is no
      // connection state to follow, so no observable of the link's own.
      if (op.type !== 'subscription') return client.request({ op, transformer });
      return observable((observer) => {
        // The current state arrives during subscribe: a throwing
        // onConnectionStateChange must not keep the request from going out.
        let subscribing = true;
        const stateSub = client.connectionState.subscribe({
          next(result) {
            const emit = () => observer.next({ result, context: op.context });
            if (subscribing) callUserCallback(emit);
            else emit();
          },
        });
        subscribing = false;
        const requestSub = client.request({ op, transformer }).subscribe(observer);
        return () => {
          requestSub.unsubscribe();
          stateSub.unsubscribe();
        };
      });
    };
}
