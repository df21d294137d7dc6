// Early start and the hand-off: while the module loads, early.js answers
// the first calls; once it runs, the Go client is created and takes over
// early start's socket and calls.
import { now } from './host.js';
import { registerClient, wasm } from './load.js';
import { EarlyStart } from './early.js';
import { apply, call } from './dispatch.js';
import { messageToGo, watchNetwork } from './connection.js';
import { frameError } from './delivery.js';
import { start } from './requests.js';
import { setState } from './state.js';

/** The session's early start, its socket opened unless lazy. */
export function earlyStart(s) {
  const early = new EarlyStart({
    opts: s.opts,
    lazy: s.cfg.lazy,
    hasParams: s.cfg.hasParams,
    state: (state, error) => setState(s, state, error),
    finished: (req) => s.reqs.delete(req.handle),
    frameError: (err) => frameError(s, err),
    wsCreated: s.owner.wsCreated,
    wsClosed: s.owner.wsClosed,
  });
  if (!s.cfg.lazy) early.open();
  return early;
}

/**
 * Creates the Go client (the module runs): it adopts early start's open
 * socket, and then takes its calls. client is the public object: Go
 * forgets the client once it is collected.
 */
export function create(s, client) {
  const early = s.early?.handOff();
  s.early = null;
  const n = wasm.writeNumbers(s.cfg.record);
  const out = wasm.done(wasm.x.trpcws_new(now(), n, early?.open ? Math.max(early.lastWire, 1) : 0));
  s.cid = wasm.num(1);
  registerClient(s.cid, client);
  if (s.cfg.networkAware) watchNetwork(s, client);
  s.failed = null;
  if (early?.sock) {
    early.sock.owner = s.owner;
    if (early.open) {
      early.sock.id = 1; // core.Config.Adopt: the adopted socket is Go's socket 1
      if (!early.lost) s.socks.set(1, early.sock);
    } else {
      s.spare = early.sock;
    }
  }
  // Go's first records: the state early start showed is not repeated; after a
  // loss it showed, no state Go passes through on its way to it is shown.
  s.handingOff = early?.lost?.shown ? 'quiet' : !!early;
  try {
    apply(s, out, null);
  } finally {
    s.handingOff = false;
  }
  if (early) takeOver(s, early);
}

/**
 * Go takes the calls early start sent (awaiting answers) and those it has
 * not sent, reads the frames early start left to it, and hears that the
 * adopted socket was lost, if it was: as core would have had it all then.
 */
function takeOver(s, { sent, unsent, deferred, lost }) {
  for (const [wire, req] of sent) start(s, req, wire);
  for (const req of unsent) start(s, req);
  for (const text of deferred) messageToGo(s, 1, text);
  if (lost) {
    // Early start showed the loss already (unless frames waited for Go): its state is not repeated.
    s.handingOff = lost.shown ? 'quiet' : true;
    try {
      call(s, wasm.x.trpcws_closed(s.cid, now(), 1, lost.code, lost.cause));
    } finally {
      s.handingOff = false;
    }
  }
  // A socket still connecting that no dial took (lazy, its calls gone).
  const spare = s.spare;
  s.spare = null;
  spare?.close(1000, true);
}
