// The client's network awareness (issue 10) in a real browser, against the real test server, on
// e2e/pages/network.html (a client whose retry delay is 0, then 30 s), for any browser:
// e2e/network-chromium.mjs (Chromium's own offline switch) and e2e/webkit.mjs (the events emulated).
//   1. offline while the server drops the socket: no attempt is spent; back online, the client
//      connects at once.
//   2. the server restarts, the first attempt fails and a 30 s backoff is pending: going offline
//      and back online reconnects at once, long before the 30 s are over.
//   3. the same backoff, then the page is hidden and shown again (visibilitychange, emulated:
//      headless browsers keep every tab visible): the client reconnects at once.
// and resumeSilentSocket: a page shown again whose socket went silent meanwhile.
// "At once" is checked generously (under 5 s, against a 30 s backoff): no tight timing.
import { check, checkEqual, control, waitFor } from './check.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const AT_ONCE_MS = 5000; // "at once", checked generously: the pending backoff is 30 s

/**
 * Opens network.html on page (a Playwright page or e2e/lib/webkit.mjs's) and runs the three
 * cases; setOffline(bool) takes the browser off the network and back.
 */
export async function networkChecks(page, base, setOffline, log) {
  await page.goto(`${base}/e2e/pages/network.html`);
  // WebKit's WebDriver may return from the navigation before the page's module has run.
  await waitFor(() => page.evaluate(() => !!window.__net), 'the network page\'s window.__net');
  await page.evaluate(() => {
    const marks = (window.__netMarks = []);
    for (const type of ['online', 'offline', 'pageshow']) window.addEventListener(type, () => marks.push({ type, at: Date.now() }));
    document.addEventListener('visibilitychange', () => marks.push({ type: `visibility:${document.visibilityState}`, at: Date.now() }));
  });
  await page.evaluate(() => { Object.defineProperty(window.__net, 'marks', { get: () => window.__netMarks, enumerable: true }); });
  const net = () => page.evaluate(() => {
    const n = window.__net;
    return n && { ready: n.ready, fatal: n.fatal, events: n.events, states: n.states,
                  stats: n.client ? n.client.stats() : null, marks: n.marks,
                  onLine: navigator.onLine, visibility: document.visibilityState };
  });
  const until = (what, pred, timeoutMs = 10000) => waitFor(async () => {
    const n = await net();
    if (n?.fatal) throw new Error(`page: ${n.fatal}`);
    return n && pred(n) ? n : null;
  }, what, timeoutMs);
  const attempts = (n, from = 0) => n.events.slice(from).filter((e) => e.type === 'attempt');
  const opens = (n, from = 0) => n.events.slice(from).filter((e) => e.type === 'open');

  let n = await until('the page to connect', (n) => n.ready && n.stats?.state === 'pending', 20000);
  checkEqual([n.stats.socketsOpened, n.stats.attempt, n.onLine, n.visibility], [1, 0, true, 'visible'], 'stats at start');
  log(`connected; stats ${JSON.stringify(n.stats)}`);

  // 1. Offline: the server drops the socket; no attempt may be spent until the browser is online.
  await setOffline(true);
  await until('navigator.onLine false', (n) => !n.onLine && n.marks.some((m) => m.type === 'offline'));
  const offlineFrom = (await net()).events.length;
  await control(base, 'drop');
  n = await until('the client to lose the socket', (n) => n.stats.state !== 'pending');
  const attemptBefore = n.stats.attempt;
  await sleep(2000); // any attempt would happen at once (retry delay 0): give it time to show
  n = await net();
  // The core plans the retry (one 'attempt' event: attempt 0, delay 0) but, offline, does not
  // dial: nothing fails, so nothing more is reported and the attempt index stays where it was.
  const offlineEvents = n.events.slice(offlineFrom).map((e) => [e.type, e.attempt ?? null, e.delayMs ?? null]);
  checkEqual(offlineEvents.filter(([t]) => t !== 'close'), [['attempt', 0, 0]],
    'events while offline (the planned retry only: no dial, no failed attempt)');
  checkEqual([n.stats.state, n.stats.attempt, n.stats.socketsOpened], ['connecting', attemptBefore, 1],
    'stats while offline (state, attempt, socketsOpened)');
  log(`offline + server drop: state ${n.stats.state}, attempt ${n.stats.attempt}; events ${JSON.stringify(offlineEvents)}; nothing dialled in 2 s`);
  await setOffline(false);
  n = await until('the client to reconnect once online', (n) => n.stats.state === 'pending' && n.stats.socketsOpened === 2, 10000);
  const online1 = n.marks.filter((m) => m.type === 'online').at(-1);
  const open1 = opens(n, offlineFrom).at(-1);
  check(online1 && open1 && open1.at - online1.at < AT_ONCE_MS, `reconnected at once when online (online ${online1?.at}, open ${open1?.at})`);
  checkEqual(await page.evaluate(() => window.__net.echo('after offline')), 'after offline', 'echo after coming back online');
  log(`online: reconnected ${open1.at - online1.at} ms after the online event; attempts ${JSON.stringify(attempts(n, offlineFrom).map((e) => [e.attempt, e.delayMs]))}`);

  // 2 and 3: a pending 30 s backoff, cut short by the network coming back, then by the page being shown again.
  async function backoffPending(label) {
    const from = (await net()).events.length;
    await control(base, 'restart?downMs=2000'); // attempt 0 (delay 0) fails while the server is down
    const n = await until(`${label}: a 30 s backoff pending`, (n) => attempts(n, from).some((e) => e.delayMs === 30000), 15000);
    await waitFor(() => control(base, 'health').then((h) => h.ok, () => false), 'the server back', 15000);
    const n2 = await net();
    check(n2.stats.state === 'connecting' && opens(n2, from).length === 0, `${label}: still waiting in backoff (${JSON.stringify(n2.stats)})`);
    return { from, backoff: attempts(n, from).find((e) => e.delayMs === 30000) };
  }

  let { from, backoff } = await backoffPending('online');
  await setOffline(true);
  await until('navigator.onLine false', (n) => !n.onLine);
  await setOffline(false);
  n = await until('the client to reconnect when back online', (n) => n.stats.state === 'pending' && opens(n, from).length === 1, 20000);
  const online2 = n.marks.filter((m) => m.type === 'online').at(-1);
  const open2 = opens(n, from)[0];
  check(open2.at - online2.at < AT_ONCE_MS && open2.at < backoff.at + 30000 - 10000,
    `reconnected at once when online, not after the 30 s backoff (backoff from ${backoff.at}, online ${online2.at}, open ${open2.at})`);
  log(`30 s backoff pending, offline → online: reconnected ${open2.at - online2.at} ms after the online event (${open2.at - backoff.at} ms into the backoff)`);

  ({ from, backoff } = await backoffPending('visible'));
  await setVisibility(page, 'hidden');
  await sleep(300);
  n = await net();
  check(n.stats.state === 'connecting' && opens(n, from).length === 0, `hidden: no reconnect while hidden (${JSON.stringify(n.stats)})`);
  await setVisibility(page, 'visible');
  n = await until('the client to reconnect when the page is visible again', (n) => n.stats.state === 'pending' && opens(n, from).length === 1, 20000);
  const visible = n.marks.filter((m) => m.type === 'visibility:visible').at(-1);
  const open3 = opens(n, from)[0];
  check(visible && open3.at - visible.at < AT_ONCE_MS && open3.at < backoff.at + 30000 - 10000,
    `reconnected at once when visible (backoff from ${backoff.at}, visible ${visible?.at}, open ${open3.at})`);
  log(`30 s backoff pending, page hidden → visible: reconnected ${open3.at - visible.at} ms after visibilitychange`);
  checkEqual(await page.evaluate(() => window.__net.echo('after visible')), 'after visible', 'echo after the page is visible again');
  checkEqual((await net()).stats.socketsOpened, 4, 'sockets opened (start, online, online after backoff, visible)');

  await page.evaluate(() => window.__net.client.close());
}

// Headless Chromium (and WebKit under Xvfb) keeps a tab 'visible' whatever else is in front, so
// the change is emulated the way a browser reports it: document.visibilityState changes, then
// visibilitychange fires on the document (the client's own listener reads visibilityState).
function setVisibility(page, state) {
  return page.evaluate((state) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => state === 'hidden' });
    document.dispatchEvent(new Event('visibilitychange'));
  }, state);
}

/**
 * A tab suspended with its socket gone silent, then shown again (iOS Safari, trpc#4078: no close
 * event, nothing arrives). The client has keepAlive with a 60 s interval and a 3 s pong timeout;
 * the server stops answering PING (/control/set?noPong=1) while the page is hidden. Shown again,
 * the client must PING at once (not after the 60 s interval), give the silent socket up when no
 * PONG comes, and connect a new one by itself.
 */
export async function resumeSilentSocket(page, base, log) {
  await page.goto(`${base}/e2e/pages/network.html?keepAlive=60000,3000`);
  await waitFor(() => page.evaluate(() => !!window.__net), 'the network page\'s window.__net');
  const net = () => page.evaluate(() => {
    const n = window.__net;
    return n && { ready: n.ready, fatal: n.fatal, events: n.events, stats: n.client ? n.client.stats() : null };
  });
  const until = (what, pred, timeoutMs = 10000) => waitFor(async () => {
    const n = await net();
    if (n?.fatal) throw new Error(`page: ${n.fatal}`);
    return n && pred(n) ? n : null;
  }, what, timeoutMs);
  const n0 = await until('the page to connect', (n) => n.ready && n.stats?.state === 'pending', 20000);
  const from = n0.events.length;
  const server0 = await control(base, 'stats');
  await control(base, 'set?noPong=1');
  let n;
  let shownAt;
  try {
    await setVisibility(page, 'hidden');
    await sleep(300);
    shownAt = await page.evaluate(() => Date.now());
    await setVisibility(page, 'visible');
    n = await until('a new socket after the silent one is given up', (n) => n.events.slice(from).some((e) => e.type === 'open'), 20000);
  } finally {
    await control(base, 'set?noPong=0');
  }
  const closed = n.events.slice(from).find((e) => e.type === 'close');
  const opened = n.events.slice(from).find((e) => e.type === 'open');
  check(closed && /no PONG/.test(closed.error ?? ''), `the silent socket closed for want of a PONG (events ${JSON.stringify(n.events.slice(from))})`);
  checkEqual((await control(base, 'stats')).pongsSent, server0.pongsSent, 'PONGs the server sent while silent');
  check(opened.at - shownAt < 3000 + AT_ONCE_MS, `a new socket soon after the page was shown (shown ${shownAt}, open ${opened.at}; keepAlive interval 60 s)`);
  await until('connected again', (n) => n.stats.state === 'pending');
  checkEqual(await page.evaluate(() => window.__net.echo('after resume')), 'after resume', 'echo after the resume');
  log(`resumed with a silent socket: ${closed.error} after ${closed.at - shownAt} ms; new socket open ${opened.at - shownAt} ms after the page was shown`);
  await page.evaluate(() => window.__net.client.close());
}

/**
 * For a browser that cannot be taken off the network from outside (WebKit over WebDriver):
 * navigator.onLine is redefined in the page and the offline/online event fired on window, as
 * the browser does when the network goes and comes back. The socket itself stays up.
 */
export function emulatedOffline(page) {
  return (offline) => page.evaluate((offline) => {
    Object.defineProperty(navigator, 'onLine', { configurable: true, get: () => !offline });
    window.dispatchEvent(new Event(offline ? 'offline' : 'online'));
  }, offline);
}
