// The one place a client's connectionState changes, and the onEvent stream
// (with debug, console.debug too) that hears of it.
import { callUserCallback } from './host.js';

/**
 * Sets the session's connectionState to {state, error} and tells onEvent
 * {type: 'state', state, error?}: every value connectionState takes after
 * its first is one event, in the order the subscribers see them.
 */
export function setState(s, state, error) {
  s.connectionState.next({ type: 'state', state, error });
  const event = { type: 'state', at: Date.now(), state };
  if (error) event.error = error;
  emit(s, event);
}

/** Gives event to the user's onEvent (a throw is rethrown asynchronously) and, with debug, to console.debug. */
export function emit(s, event) {
  const { onEvent } = s.opts;
  if (onEvent) callUserCallback(() => onEvent(event));
  if (s.cfg.debug) console.debug('trpcws', event);
}
