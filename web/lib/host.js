// Small host helpers every module uses: the clock Go is given, running user
// callbacks, reporting internal failures, value tests.

/** Milliseconds on the monotonic clock, as Go is given them (the core takes any time, 0 included). */
export const now = () => Math.floor(performance.now());

/** Runs a user callback; its error is rethrown asynchronously, as @trpc/client does. */
export function callUserCallback(fn) {
  try {
    fn();
  } catch (err) {
    rethrowLater(err);
  }
}

function rethrowLater(err) {
  setTimeout(() => {
    throw err;
  });
}

// callUserCallback for the observer calls of every result and event,
// without a closure per call.

/** observer.next(value) as a user callback. */
export function callNext(observer, value) {
  try {
    observer.next(value);
  } catch (err) {
    rethrowLater(err);
  }
}

/** observer.complete() as a user callback. */
export function callComplete(observer) {
  try {
    observer.complete();
  } catch (err) {
    rethrowLater(err);
  }
}

/** observer.error(err) as a user callback. */
export function callError(observer, err) {
  try {
    observer.error(err);
  } catch (thrown) {
    rethrowLater(thrown);
  }
}

/** Reports a failure of this package itself (never a user's). */
export function reportInternal(err) {
  if (typeof globalThis.reportError === 'function') globalThis.reportError(err);
  else console.error(err);
}

export const isObject = (v) => !!v && !Array.isArray(v) && typeof v === 'object';

export const isThenable = (v) =>
  v !== null && (typeof v === 'object' || typeof v === 'function') && typeof v.then === 'function';
