// The back/forward cache (issue 23) in a real browser, against the real test server, on
// e2e/pages/bfcache.html (a client with a tracked subscription to `events`), for any page object
// with goto, evaluate and goBack (a Playwright page, e2e/lib/webkit.mjs's WebDriverPage):
// awayAndBack goes to bfcache-away.html and back, checkRestored checks what networkAware (on)
// promises there: the socket closed with 1000 on pagehide, the page restored from the cache
// (pageshow with persisted, the same page), the subscription resumed after its last event id
// with no gap or duplicate. The callers add their browser's own checks and a control.
import { check, checkContiguous, checkEqual, control, waitFor } from './check.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function bfcachePage(page, base) {
  const bf = () => page.evaluate(() => {
    const b = window.__bf;
    return b && { ready: b.ready, fatal: b.fatal, loadedAt: b.loadedAt, ids: b.ids, started: b.started,
                  states: b.states, shows: b.shows, hides: b.hides, stats: b.client ? b.client.stats() : null };
  });
  const until = (what, pred, timeoutMs = 10000) => waitFor(async () => {
    const b = await bf();
    if (b?.fatal) throw new Error(`page: ${b.fatal}`);
    return b && pred(b) ? b : null;
  }, what, timeoutMs);

  // Opens the page, waits for events, goes away and back; returns what the page saw before, the
  // server's stats while away (with waitClosed, once it has seen the socket closed), and the
  // page shown again: restored (a pageshow with persisted) or loaded again (another loadedAt).
  async function awayAndBack(networkAware, { waitClosed = networkAware } = {}) {
    await control(base, 'reset');
    await page.goto(`${base}/e2e/pages/bfcache.html?networkAware=${networkAware ? 1 : 0}`);
    const before = await until('the subscription to deliver 10 events', (b) => b.ready && b.ids.length >= 10, 20000);
    await page.goto(`${base}/e2e/pages/bfcache-away.html`);
    const away = waitClosed
      ? await waitFor(() => control(base, 'stats').then((s) => s.connectionLog[0]?.closeCode != null && s),
        'the server to see the socket closed', 10000)
      : await control(base, 'stats');
    await sleep(500); // away for a while: the server would have sent more events meanwhile
    await page.goBack({ waitUntil: 'commit' }); // a page restored from the cache fires no load event
    const back = await until('the page to be shown again',
      (b) => b.ready && (b.shows.some((s) => s.persisted) || b.loadedAt !== before.loadedAt), 20000);
    return { before, away, back };
  }

  // networkAware on: restored from the cache, the feed goes on after its last event id. Returns
  // the page once the feed has resumed, and what pagehide had seen.
  async function checkRestored({ before, away, back }, label, log) {
    checkEqual([away.connectionLog[0]?.closeCode, away.connections], [1000, 0],
      `${label}: server: the socket closed with 1000 on pagehide, none open while away`);
    check(back.loadedAt === before.loadedAt, `${label}: the page was restored, not loaded again`);
    checkEqual(back.shows.filter((s) => s.persisted).length, 1, `${label}: one pageshow from the cache (persisted)`);
    checkEqual(back.hides.map((h) => h.persisted), [true], `${label}: one pagehide, into the cache (persisted)`);
    const hiddenAt = back.hides[0].idsSeen;
    log(`${label}: restored from the cache; ${hiddenAt} events before pagehide; server saw close code ${away.connectionLog[0].closeCode}`);
    back = await until(`${label}: the subscription to resume`, (b) => b.ids.length >= hiddenAt + 20 && b.stats.state === 'pending', 20000);
    checkContiguous(back.ids, 1, back.ids.length, `${label}: event ids across the back/forward cache`);
    const st = await control(base, 'stats');
    checkEqual([st.totalConnections, st.subscriptionStarts.map((s) => s.lastEventId)], [2, [null, String(hiddenAt)]],
      `${label}: server: two sockets; subscribed, then resumed after the last event delivered`);
    checkEqual(back.states.slice(-3), ['idle', 'connecting', 'pending'], `${label}: states after pagehide and pageshow`);
    checkEqual(back.started, 2, `${label}: onStarted on the first socket and again after resuming (as after a reconnect)`);
    checkEqual(await page.evaluate(() => window.__bf.echo('after restore')), 'after restore', `${label}: echo after the restore`);
    return { back, hiddenAt };
  }

  return { bf, until, awayAndBack, checkRestored };
}
