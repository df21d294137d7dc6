// What the comparison tests (reference.test.js, encoder.test.js) observe of
// a call or a subscription, so that ours and @trpc/client's can be
// deep-equal'd; and the calls they make.

export function withoutStack(v) {
  if (!v || typeof v !== 'object') return v;
  const { stack, ...rest } = v;
  if (rest.data && typeof rest.data === 'object') rest.data = withoutStack(rest.data);
  return rest;
}

/** What a caller can observe of a settled call. */
export async function outcome(promise) {
  try {
    return { ok: true, value: await promise };
  } catch (err) {
    return {
      ok: false,
      name: err.name,
      ctor: err.constructor?.name,
      message: err.message,
      shape: withoutStack(err.shape),
      data: withoutStack(err.data),
      cause: err.cause === undefined ? undefined : { name: err.cause?.name, message: err.cause?.message },
    };
  }
}

/** Every callback of a subscription, in order, until it ends. */
export function subscriptionLog(trpc, path, input) {
  return new Promise((resolve) => {
    const log = [];
    trpc[path].subscribe(input, {
      onStarted: (o) => log.push(['started', Object.keys(o)]),
      onData: (d) => log.push(['data', d]),
      onStopped: () => log.push(['stopped']),
      onConnectionStateChange: (s) => log.push(['state', s.type, s.state, s.error]),
      onError: (err) => {
        log.push(['error', err.name, err.message, withoutStack(err.shape), withoutStack(err.data)]);
        setTimeout(() => resolve(log), 20); // nothing may follow an error
      },
      onComplete: () => {
        log.push(['complete']);
        resolve(log);
      },
    });
  });
}

export const calls = [
  ['echo object', (t) => t.echo.query({ a: 1, b: ['x', null, { c: true }], s: 'ü😀' })],
  ['echo undefined', (t) => t.echo.query()],
  ['echo null', (t) => t.echo.query(null)],
  ['echo string', (t) => t.echo.query('str')],
  ['add', (t) => t.add.mutate({ a: 20, b: 22 })],
  ['void mutation', (t) => t.voidMutation.mutate()],
  ['fail NOT_FOUND', (t) => t.fail.query({ code: 'NOT_FOUND', message: 'nope' })],
  ['fail UNAUTHORIZED', (t) => t.fail.query({ code: 'UNAUTHORIZED' })],
  ['fail TOO_MANY_REQUESTS', (t) => t.fail.query({ code: 'TOO_MANY_REQUESTS', message: 'slow down' })],
  ['crash', (t) => t.crash.query()],
  ['bad input', (t) => t.add.mutate({ a: 'x' })],
  ['unknown procedure', (t) => t.nope.query()],
  ['large echo', (t) => t.echo.query({ s: 'ü😀x'.repeat(3000), n: Array.from({ length: 300 }, (_, i) => i * 1.5) })],
  ['large error message', (t) => t.fail.query({ code: 'BAD_REQUEST', message: 'é'.repeat(2000) })],
];
