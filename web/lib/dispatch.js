// Calls into Go and the records that come back: each record kind goes to
// the file that does its job.
import {
  REC_AUTH,
  REC_CLIENT,
  REC_CLOSE_SOCK,
  REC_CLOSED,
  REC_COMPLETE,
  REC_DEADLINE,
  REC_DIAL,
  REC_ERROR,
  REC_EVENT,
  REC_FRAME,
  REC_FRAME_ERR,
  REC_NOTE,
  REC_RESULT,
  REC_RETRY,
  REC_STARTED,
  REC_STATE,
  REC_URL,
  REC_WRITE,
  STATES,
} from './constants.js';
import { errorFromDesc } from './errors.js';
import { callComplete, callNext, reportInternal } from './host.js';
import { wasm } from './load.js';
import { note, refreshAuth, retry } from './callbacks.js';
import { arm, closeSocket, dial } from './connection.js';
import { deliverError, deliverEvent, deliverFrameError, deliverResult } from './delivery.js';
import { final, live } from './requests.js';
import { send, wantWrite } from './writes.js';

/** Runs the records of a call into Go (n: its return value); a failed call is reported. */
export function call(s, n, frame = null) {
  try {
    n = wasm.done(n);
  } catch (err) {
    reportInternal(err);
    return;
  }
  apply(s, n, frame);
}

/** Carries out the n record numbers of the last call; frame: the text the frame refs point into. */
export function apply(s, n, frame) {
  for (let i = 0; i < n; i += wasm.size(i)) {
    switch (wasm.num(i)) {
      case REC_CLIENT:
        break;
      case REC_DIAL:
        dial(s, wasm.num(i + 1));
        break;
      case REC_WRITE:
        wantWrite(s, wasm.num(i + 1));
        break;
      case REC_CLOSE_SOCK:
        closeSocket(s, wasm.num(i + 1), wasm.num(i + 2), wasm.num(i + 3) === 1);
        break;
      case REC_RESULT: {
        const req = final(s, wasm.num(i + 1));
        if (req) deliverResult(s, req, i + 2, frame);
        break;
      }
      case REC_STARTED: {
        const req = live(s, wasm.num(i + 1));
        if (req) callNext(req.observer, { result: { type: 'started' } });
        break;
      }
      case REC_EVENT: {
        const req = live(s, wasm.num(i + 1));
        if (req) deliverEvent(s, req, i + 2, frame);
        break;
      }
      case REC_COMPLETE: {
        const req = final(s, wasm.num(i + 1));
        if (req) {
          // The core says why it ended: stopped by the server (the reference passes a
          // "stopped" result first), or completed by close().
          if (wasm.num(i + 2) === 1) callNext(req.observer, { result: { type: 'stopped' } });
          callComplete(req.observer);
        }
        break;
      }
      case REC_ERROR: {
        const req = final(s, wasm.num(i + 1));
        if (req) deliverError(req, i + 2, frame);
        break;
      }
      case REC_STATE: {
        const desc = wasm.ref(i + 2, frame);
        const state = STATES[wasm.num(i + 1)];
        // Handing off: what early start showed already is not shown again.
        if (s.handingOff === 'quiet') break;
        if (s.handingOff && s.connectionState.get().state === state && (desc === undefined || s.connectionState.get().error)) break;
        const error = desc === undefined ? null : errorFromDesc(JSON.parse(desc), null);
        s.connectionState.next({ type: 'state', state, error });
        break;
      }
      case REC_FRAME_ERR:
        deliverFrameError(s, i + 2, frame);
        break;
      case REC_CLOSED: {
        // Resolved a task later: the promises of the calls settled above
        // (through @trpc/client's chains of microtasks) settle first.
        const waiters = s.closeWaiters.splice(0);
        if (waiters.length) setTimeout(() => waiters.forEach((resolve) => resolve()));
        break;
      }
      case REC_FRAME:
        send(s, wasm.num(i + 1), wasm.text(wasm.num(i + 2), wasm.num(i + 3)));
        break;
      case REC_DEADLINE:
        arm(s, wasm.num(i + 1));
        break;
      case REC_URL:
        break;
      case REC_RETRY:
        retry(s, wasm.num(i + 1), wasm.ref(i + 2, frame));
        break;
      case REC_NOTE:
        note(s, i, frame);
        break;
      case REC_AUTH:
        refreshAuth(s, wasm.num(i + 1), wasm.num(i + 2), wasm.ref(i + 3, frame));
        break;
    }
  }
}
