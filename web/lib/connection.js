// The connection: the sockets Go asks for (socket.js does one WebSocket),
// what they report back to Go, the core's timer, and the browser's network
// events.
import { envelopeOf } from './encoder.js';
import { TRPCWebSocketFrameError } from './errors.js';
import { now } from './host.js';
import { schedule, wasm } from './load.js';
import { Socket } from './socket.js';
import { call } from './dispatch.js';
import { frameError } from './delivery.js';

/** What the client's sockets see of it: the options and the reports (see Socket). */
export function socketOwner(s) {
  return {
    opts: s.opts,
    encoder: s.encoder,
    fullURL: (url) => fullURL(s, url),
    socketOpened: (sock, hasParams) => call(s, wasm.x.trpcws_opened(s.cid, now(), sock.id, hasParams ? 1 : 0)),
    socketMessage: (sock, data) => socketMessage(s, sock, data),
    socketEnded: (sock, code, cause) => {
      s.socks.delete(sock.id);
      call(s, wasm.x.trpcws_closed(s.cid, now(), sock.id, code, cause));
    },
    socketSetupFailed: (sock, cause) => call(s, wasm.x.trpcws_setup_failed(s.cid, now(), sock.id, cause)),
    wsCreated: (sock) => wsCreated(s, sock),
    wsClosed: (sock) => s.withWs.delete(sock),
    run: schedule,
  };
}

/** Go asks for socket id. */
export function dial(s, id) {
  const spare = s.spare;
  if (spare) {
    // The socket early start began: its open (or failure) reaches Go.
    s.spare = null;
    spare.id = id;
    s.socks.set(id, spare);
    return;
  }
  const sock = new Socket(id, s.owner);
  s.socks.set(id, sock);
  sock.start();
}

/** Go closes socket id with code; abort: Go has given it up already. */
export function closeSocket(s, id, code, abort) {
  const sock = s.socks.get(id);
  if (!sock) return;
  if (abort) s.socks.delete(id);
  sock.close(code, abort);
}

/**
 * sock's WebSocket exists. The ones that failed while CONNECTING, which
 * fire no close event in Node, are dropped now: only the newest one was
 * the connection.
 */
function wsCreated(s, sock) {
  for (const old of s.withWs) if (old.failedConnecting) s.withWs.delete(old);
  s.withWs.add(sock);
}

/** The URL to open: url with what Go adds (connectionParams=1). */
function fullURL(s, url) {
  wasm.done(wasm.x.trpcws_url(s.cid, wasm.write(url)));
  return wasm.text(wasm.num(1), wasm.num(2));
}

function socketMessage(s, sock, text) {
  if (sock.ended) return;
  if (s.encoder && text !== 'PING' && text !== 'PONG') {
    decodedMessage(s, sock, text);
    return;
  }
  messageToGo(s, sock.id, text);
}

/** Go reads the text frame that came on socket id. */
export function messageToGo(s, id, text) {
  const n = wasm.write(text);
  call(s, wasm.x.trpcws_message(s.cid, now(), id, n, n === text.length ? 1 : 0), text);
}

/** With an encoder: decodes data and gives Go its envelope; the data refs mean the decoded data. */
function decodedMessage(s, sock, data) {
  let envelope;
  try {
    s.decoded = s.encoder.decode(data);
    envelope = envelopeOf(s.decoded) ?? 'null';
  } catch (err) {
    s.decoded = undefined;
    frameError(s, new TRPCWebSocketFrameError('trpcws: experimental_encoder could not decode a server frame', data, err));
    return;
  }
  s.received = data;
  try {
    const n = wasm.write(envelope);
    call(s, wasm.x.trpcws_message(s.cid, now(), sock.id, n, n === envelope.length ? 1 : 0), envelope);
  } finally {
    s.decoded = undefined;
    s.received = undefined;
  }
}

/** The core's next deadline (at, on now()'s clock; < 0: none): Go ticks then. */
export function arm(s, at) {
  if (s.timer !== undefined) clearTimeout(s.timer);
  s.timer = undefined;
  if (at < 0) return;
  s.timer = setTimeout(() => {
    s.timer = undefined;
    schedule(() => call(s, wasm.x.trpcws_tick(s.cid, now())));
  }, Math.max(0, at - now()));
}

const weak = (v) => (typeof WeakRef === 'function' ? new WeakRef(v) : { deref: () => v });

/**
 * Browsers: online/offline and a page made visible again reach the core,
 * which retries at once or checks the socket with a PING. pagehide
 * suspends the client (its sockets are closed at once, cleanly, so that an
 * open WebSocket does not keep the page out of the back/forward cache) and
 * pageshow from that cache resumes it (a new socket, subscriptions sent
 * again after their last event id). Both run synchronously in the event:
 * the page is frozen right after pagehide. Weakly held: the listeners keep
 * neither the client (whose collection frees the Go client) nor its
 * session alive.
 */
export function watchNetwork(s, client) {
  const win = globalThis.window;
  const doc = globalThis.document;
  if (!win || typeof win.addEventListener !== 'function' || !doc) return;
  const clientRef = weak(client);
  const sessionRef = weak(s);
  const tell = (what) => () => {
    // The session lives as long as the client: a collected client is not told.
    const live = clientRef.deref() && sessionRef.deref();
    if (live) network(live, what);
  };
  win.addEventListener('online', tell(1));
  win.addEventListener('offline', tell(0));
  win.addEventListener('pagehide', tell(3));
  win.addEventListener('pageshow', (e) => e.persisted && tell(2)());
  doc.addEventListener('visibilitychange', () => doc.visibilityState === 'visible' && tell(2)());
  if (globalThis.navigator?.onLine === false) network(s, 0);
}

function network(s, what) {
  schedule(() => call(s, wasm.x.trpcws_network(s.cid, now(), what)));
}
