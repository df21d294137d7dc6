// The observable contract @trpc/client's links use, and a subject with a
// current value (connectionState).
import { callUserCallback } from './host.js';

/**
 * An observable: subscribe(observer) returns {unsubscribe}; error/complete
 * end it and run the teardown once; pipe(...operators).
 */
export function observable(subscribe) {
  return new Observable(subscribe);
}

// A class rather than closures: one object per observable and per
// subscription, with the methods shared, on every request's path.
class Observable {
  #subscribe;

  constructor(subscribe) {
    this.#subscribe = subscribe;
  }

  subscribe(observer) {
    const sub = new Subscriber(observer);
    sub.teardown = this.#subscribe(sub) ?? undefined;
    sub.subscribing = false;
    if (sub.teardownPending) sub.unsubscribe();
    if (sub.thrown) throw sub.thrown.err;
    return { unsubscribe: () => sub.unsubscribe() };
  }

  pipe(...operators) {
    return operators.reduce((prev, op) => op(prev), this);
  }
}

/** What the subscribe function of an observable is given as its observer. */
class Subscriber {
  constructor(observer) {
    this.observer = observer;
    this.teardown = null; // null while subscribing; then a function, {unsubscribe} or undefined
    this.done = false;
    this.unsubscribed = false;
    this.teardownPending = false;
    this.subscribing = true;
    this.thrown = null;
  }

  next(value) {
    if (!this.done) this.observer.next?.(value);
  }

  error(err) {
    if (this.done) return;
    this.done = true;
    try {
      this.observer.error?.(err);
    } catch (thrown) {
      this.#thrown(thrown);
    } finally {
      this.unsubscribe();
    }
  }

  complete() {
    if (this.done) return;
    this.done = true;
    try {
      this.observer.complete?.();
    } catch (thrown) {
      this.#thrown(thrown);
    } finally {
      this.unsubscribe();
    }
  }

  /** An observer's error or complete threw: rethrown, or after subscribe returns when it threw during subscribe. */
  #thrown(err) {
    if (!this.subscribing) throw err;
    this.thrown ??= { err };
  }

  unsubscribe() {
    const teardown = this.teardown;
    if (teardown === null) {
      this.teardownPending = true;
      return;
    }
    if (this.unsubscribed) return;
    this.unsubscribed = true;
    if (typeof teardown === 'function') teardown();
    else if (teardown) teardown.unsubscribe();
  }
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
