// The observable contract @trpc/client's links use, and a subject with a
// current value (connectionState).
import { callUserCallback } from './host.js';

/**
 * An observable: subscribe(observer) returns {unsubscribe}; error/complete
 * end it and run the teardown once; pipe(...operators).
 */
export function observable(subscribe) {
  const self = {
    subscribe(observer) {
      let teardown = null;
      let done = false;
      let unsubscribed = false;
      let teardownPending = false;
      let subscribing = true;
      let thrown = null;
      const unsubscribe = () => {
        if (teardown === null) {
          teardownPending = true;
          return;
        }
        if (unsubscribed) return;
        unsubscribed = true;
        if (typeof teardown === 'function') teardown();
        else if (teardown) teardown.unsubscribe();
      };
      const end = (notify) => {
        try {
          notify();
        } catch (err) {
          if (!subscribing) throw err;
          thrown ??= { err };
        } finally {
          unsubscribe();
        }
      };
      teardown =
        subscribe({
          next(value) {
            if (!done) observer.next?.(value);
          },
          error(err) {
            if (done) return;
            done = true;
            end(() => observer.error?.(err));
          },
          complete() {
            if (done) return;
            done = true;
            end(() => observer.complete?.());
          },
        }) ?? undefined;
      subscribing = false;
      if (teardownPending) unsubscribe();
      if (thrown) throw thrown.err;
      return { unsubscribe };
    },
    pipe(...operators) {
      return operators.reduce((prev, op) => op(prev), self);
    },
  };
  return self;
}

/** An observable with a current value, sent to each new subscriber. */
export function behaviorSubject(initial) {
  let value = initial;
  const observers = new Set();
  const subject = observable((observer) => {
    if (value !== undefined) observer.next(value);
    observers.add(observer);
    return () => {
      observers.delete(observer);
    };
  });
  subject.next = (next) => {
    if (next === value) return;
    value = next;
    for (const observer of [...observers]) {
      if (observers.has(observer)) callUserCallback(() => observer.next(next));
    }
  };
  subject.get = () => value;
  return subject;
}
