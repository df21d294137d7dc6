// One WebSocket of a client, on the host side: resolving its URL,
// constructing it, its listeners, connection params, sending and closing.
// What it learns goes to its owner (the client), which tells Go.
import { CLOSED_BAD_URL } from './constants.js';
import { keepCause, TRPCWebSocketClosedError } from './errors.js';
import { callUserCallback, isObject, isThenable } from './host.js';
import { noWebSocketMessage } from './options.js';
import { urlError, urlProblem } from './url.js';

const binaryDecoder = new TextDecoder();

/** Awaits the URL (a value or a promise), taking as many steps as the reference's prepareUrl. */
async function prepareUrl(url) {
  return await url;
}

/**
 * A socket's phases. It moves forward only:
 *   resolving  the URL is being resolved; no WebSocket yet
 *   connecting the WebSocket exists and has not opened
 *   opening    it opened; connection params are being resolved
 *   open       Go was told it opened
 *   closed     Go was told it closed, or Go gave it up: nothing more is
 *              reported, what the WebSocket still delivers is ignored
 */
export class Socket {
  /**
   * @param {number} id Go's socket id
   * @param owner the client: opts, fullURL(url), and the reports
   *   socketOpened(sock, hasParams), socketMessage(sock, text),
   *   socketEnded(sock, code, causeHandle), all called from the queue
   */
  constructor(id, owner) {
    this.id = id;
    this.owner = owner;
    this.phase = 'resolving';
    this.ws = null;
    this.closeCode = 0; // a close asked for before the WebSocket existed
    this.closeAfterWrite = 0; // a close asked for while a write was queued
    this.writeQueued = false;
    this.params = undefined; // connection params as JSON text, once resolved
    this.paramsValue = undefined; // with an encoder: the resolved value itself
    this.chain = null; // set while a Blob frame is being read: keeps the order
    this.wsClosed = false; // the WebSocket's close event has fired
    this.failedConnecting = false; // it failed while CONNECTING: Node's WebSocket fires no close event then
  }

  /**
   * The reference's view of this socket for client.connection: null when
   * there is no WebSocket (not constructed yet, or its close event fired),
   * else its id, state and ws. 'open' once Go has been told (connection
   * params resolved), 'closed' while closing.
   */
  view() {
    if (!this.ws || this.wsClosed) return null;
    const rs = this.ws.readyState;
    const state = rs >= 2 ? 'closed' : rs === 1 && (this.phase === 'open' || this.phase === 'closed') ? 'open' : 'connecting';
    return { id: this.id, state, ws: this.ws };
  }

  get ended() {
    return this.phase === 'closed';
  }

  /** Resolves the URL, then constructs the WebSocket. */
  start() {
    const opts = this.owner.opts;
    let url;
    try {
      url = typeof opts.url === 'function' ? opts.url() : opts.url;
    } catch (err) {
      this.owner.run(() => this.fail(err));
      return;
    }
    // As the reference (prepareUrl(...).then(url => new WebSocket(url))):
    // the WebSocket is constructed after the call that asked for it has
    // returned, even for a plain string.
    prepareUrl(url).then(
      (u) => this.owner.run(() => this.connect(u)),
      (err) => this.owner.run(() => this.fail(err)),
    );
  }

  connect(url) {
    if (this.ended) return;
    if (url instanceof URL) url = url.href;
    if (typeof url !== 'string') {
      this.fail(new TypeError(`trpcws: url resolved to ${typeof url}, not a string`));
      return;
    }
    const reason = urlProblem(url);
    if (reason) {
      // It would fail the same way every time: Go gives up (a URLError).
      this.ended_(CLOSED_BAD_URL, keepCause(urlError('url', url, reason)));
      return;
    }
    if (this.closeCode) {
      // close() ran while the URL was being resolved.
      this.fail(new TRPCWebSocketClosedError({ message: 'Closed before connection was established' }));
      return;
    }
    const { createWebSocket } = this.owner.opts;
    const WS = this.owner.opts.WebSocket ?? globalThis.WebSocket;
    let made;
    try {
      const full = this.owner.fullURL(url);
      if (createWebSocket) made = createWebSocket(full);
      else {
        if (typeof WS !== 'function') throw new Error(noWebSocketMessage());
        made = new WS(full);
      }
    } catch (err) {
      this.fail(err);
      return;
    }
    // createWebSocket may answer a Promise (e.g. Workers' fetch with
    // Upgrade: websocket, then accept()): the socket stays connecting.
    if (isThenable(made)) {
      Promise.resolve(made).then(
        (ws) => this.owner.run(() => this.attach(ws)),
        (err) => this.owner.run(() => this.fail(err)),
      );
      return;
    }
    this.attach(made);
  }

  /** Takes ws, the WebSocket made for this socket; it may be open already (no open event follows then). */
  attach(ws) {
    if (!isObject(ws) || typeof ws.send !== 'function' || typeof ws.close !== 'function') {
      this.fail(new TypeError(`trpcws: createWebSocket must return a WebSocket (or a Promise of one), got ${ws === null ? 'null' : typeof ws}`));
      return;
    }
    if (this.ended || this.closeCode) {
      // Go gave the socket up, or close() ran while it was being made.
      try {
        ws.close(1000);
      } catch {
        // already closed
      }
      if (!this.ended) this.fail(new TRPCWebSocketClosedError({ message: 'Closed before connection was established' }));
      return;
    }
    this.ws = ws;
    this.phase = 'connecting';
    this.owner.wsCreated(this);
    try {
      ws.binaryType = 'arraybuffer';
    } catch {
      // binary frames are decoded whatever their type
    }
    this.listen(ws);
    if (ws.readyState === 1) queueMicrotask(() => this.onOpen());
  }

  listen(ws) {
    const opts = this.owner.opts;
    const on = (type, fn) => {
      if (typeof ws.addEventListener === 'function') ws.addEventListener(type, fn);
      else ws[`on${type}`] = fn;
    };
    on('open', () => this.onOpen());
    on('message', (event) => {
      if (this.ended) return;
      const data = event?.data;
      if (typeof data === 'string') this.inOrder(() => this.owner.socketMessage(this, data));
      else if (this.owner.encoder && (data instanceof ArrayBuffer || ArrayBuffer.isView(data))) {
        // The encoder decodes binary frames as they came.
        this.inOrder(() => this.owner.socketMessage(this, data));
      }
      else if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
        const text = binaryDecoder.decode(data);
        this.inOrder(() => this.owner.socketMessage(this, text));
      } else if (data && typeof data.text === 'function') {
        // A Blob (binaryType could not be set): keep the order.
        const text = this.owner.encoder ? data.arrayBuffer() : data.text();
        this.chain = (this.chain ?? Promise.resolve()).then(() => text).then(
          (t) => this.owner.run(() => this.owner.socketMessage(this, t)),
          () => {},
        );
      }
    });
    on('close', (event) => {
      this.wsClosed = true;
      this.owner.wsClosed(this);
      const cause = keepCause(event);
      this.inOrder(() => this.ended_(typeof event?.code === 'number' ? event.code : 0, cause));
      callUserCallback(() => opts.onClose?.(event));
    });
    on('error', (event) => {
      callUserCallback(() => opts.onError?.(event));
      // A WebSocket that fails while still CONNECTING (refused, dropped or
      // closed during the handshake) is gone, but Node's (undici) fires no
      // close event for it, and still says CONNECTING, as @trpc/client's
      // client.connection then shows it; browsers and `ws` say CLOSING or
      // CLOSED here, then fire close. The client drops it once a newer
      // WebSocket exists (else it would keep every one of them for good).
      if (ws.readyState === 0) this.failedConnecting = true;
      // As the reference: an error ends the socket at once.
      const cause = keepCause(event);
      this.inOrder(() => this.ended_(0, cause));
    });
  }

  /** Schedules task after what the socket delivered before it. */
  inOrder(task) {
    if (this.chain) this.chain = this.chain.then(() => this.owner.run(task));
    else this.owner.run(task);
  }

  onOpen() {
    if (this.phase !== 'connecting') return;
    this.phase = 'opening';
    const opts = this.owner.opts;
    callUserCallback(() => opts.onOpen?.());
    const cp = opts.connectionParams;
    if (cp === undefined || cp === null) {
      this.owner.run(() => this.opened(false));
      return;
    }
    let value;
    try {
      value = typeof cp === 'function' ? cp() : cp;
    } catch (err) {
      this.paramsFailed(err);
      return;
    }
    const done = (v) => {
      try {
        if (this.owner.encoder) this.paramsValue = v;
        else this.params = JSON.stringify(v ?? null);
      } catch (err) {
        this.paramsFailed(err);
        return;
      }
      this.owner.run(() => this.opened(true));
    };
    if (isThenable(value)) Promise.resolve(value).then(done, (err) => this.paramsFailed(err));
    else done(value);
  }

  /** The connection params failed: Go closes the socket (with its code) and counts a failed attempt. */
  paramsFailed(err) {
    this.owner.run(() => {
      if (this.phase === 'opening') this.owner.socketSetupFailed(this, keepCause(err));
    });
  }

  opened(hasParams) {
    if (this.phase !== 'opening') return;
    this.phase = 'open';
    this.owner.socketOpened(this, hasParams);
  }

  /** Tells Go the socket failed with err (a value). */
  fail(err) {
    this.ended_(0, err === undefined ? 0 : keepCause(err));
  }

  /** Tells Go the socket closed or failed (once); cause is a kept handle or 0. */
  ended_(code, cause) {
    if (this.ended) return;
    this.phase = 'closed';
    this.owner.socketEnded(this, code, cause);
  }

  /** Go gave the socket up: drop it without a handshake, report nothing more. */
  abandon() {
    this.phase = 'closed';
  }

  send(frame) {
    if (!this.ws || this.ended) return;
    try {
      this.ws.send(frame);
    } catch {
      // the socket is closing: its close event follows
    }
  }

  /** Closes with code (Go's choice); abort: Go has given it up already. */
  close(code, abort) {
    if (abort) this.abandon();
    if (!this.ws) {
      this.closeCode = code;
      return;
    }
    if (abort) {
      this.closeNow(code, true);
      return;
    }
    // Frames announced before the close (e.g. subscription.stop) leave
    // first; and, as the reference's async close, the WebSocket is closed
    // after the call that asked for it has returned.
    this.closeAfterWrite = code;
    if (!this.writeQueued) queueMicrotask(() => this.closeAfterWrite && this.closeNow(this.closeAfterWrite, false));
  }

  closeNow(code, abort) {
    this.closeAfterWrite = 0;
    try {
      if (abort && typeof this.ws.terminate === 'function') this.ws.terminate();
      else this.ws.close(code);
    } catch {
      // already closed
    }
  }
}
