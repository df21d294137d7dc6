// Drives the demo page (index.html) through its data-testid controls and reads window.__demo.
// Works with a Playwright page and a Puppeteer page alike: it only uses page.goto, page.evaluate
// (one argument) and page.locator(css).fill()/click(), which both libraries have.
import { check, checkEqual, checkContiguous, control, waitFor } from './check.mjs';

const sel = (id) => `[data-testid="${id}"]`;

export class DemoPage {
  constructor(page, base, log = console.log) {
    this.page = page;
    this.base = base;
    this.log = log;
  }

  demo() {
    return this.page.evaluate(() => JSON.parse(JSON.stringify(window.__demo ?? null)));
  }

  text(id) {
    return this.page.evaluate((s) => document.querySelector(s)?.textContent ?? null, sel(id));
  }

  async until(what, pred, timeoutMs = 10000) {
    return waitFor(async () => {
      const d = await this.demo();
      if (d?.fatal) throw new Error(`page: ${d.fatal}`);
      return d && pred(d) ? d : null;
    }, what, timeoutMs);
  }

  // Clicks a control and waits for window.__demo.results[name] to be set by it.
  async call(name, buttonId) {
    await this.page.evaluate((n) => { delete window.__demo.results[n]; }, name);
    await this.page.locator(sel(buttonId)).click();
    const d = await this.until(`result of ${name}`, (d) => name in d.results);
    const r = d.results[name];
    if (r && typeof r === 'object' && 'error' in r) throw new Error(`${name} failed in the page: ${r.error}`);
    return r;
  }

  async open() {
    await this.page.goto(`${this.base}/index.html`);
    const d = await this.until('the page to connect and subscribe', (d) => d.ready && d.state === 'pending' && d.starts >= 1, 20000);
    this.log(`page connected; states so far: ${d.states.join(' → ')}`);
  }

  // A query, two mutations kinds and the tracked subscription, with exact values.
  async smoke(label) {
    const text = `hello from ${label}`;
    await this.page.locator(sel('echo-input')).fill(text);
    checkEqual(await this.call('echo', 'echo-submit'), text, 'echo query result');
    checkEqual(await this.text('echo-result'), JSON.stringify(text), 'echo result shown');
    this.log(`query echo → ${JSON.stringify(text)}`);

    checkEqual(await this.call('increment', 'count-inc'), 1, 'first increment');
    checkEqual(await this.call('increment', 'count-inc'), 2, 'second increment');
    checkEqual(await this.call('getCount', 'count-get'), 2, 'getCount after two increments');
    checkEqual(await this.text('count-value'), '2', 'counter shown');
    this.log('mutation increment → 1, 2; query getCount → 2');

    await this.page.locator(sel('post-user')).fill(label);
    for (let i = 1; i <= 3; i++) {
      await this.page.locator(sel('post-text')).fill(`message ${i} from ${label}`);
      const m = await this.call('post', 'post-submit');
      checkEqual([m.id, m.text, m.user], [String(i), `message ${i} from ${label}`, label], `postMessage #${i} result`);
      checkEqual(await this.text('post-result'), `posted #${i}`, 'post result shown');
    }
    const d = await this.until('3 events in the feed', (d) => d.ids.length >= 3);
    checkContiguous(d.ids, 1, 3, 'subscription event ids');
    checkEqual(d.messages.map((m) => m.text), [1, 2, 3].map((i) => `message ${i} from ${label}`), 'subscription event data');
    checkEqual(await this.feedIds(), ['1', '2', '3'], 'feed items shown');
    this.log(`mutation postMessage ×3 → subscription delivered ids ${d.ids.join(',')}`);
  }

  // The connection panel: the live stats() table (every field, refreshed), the timeline of
  // states and onEvent entries, and the ping RTT from keepAlive.
  async connectionPanel() {
    const fields = ['state', 'socketsOpened', 'reconnects', 'attempt', 'queued', 'inFlight', 'subscriptions',
                    'framesIn', 'framesOut', 'bytesIn', 'bytesOut', 'lastPingRttMs', 'connectedAt'];
    const d0 = await this.until('stats() in the page', (d) => d.stats && d.stats.state === 'pending');
    checkEqual(Object.keys(d0.stats), fields, 'stats() fields');
    const rows = () => this.page.evaluate(() => Object.fromEntries([...document.querySelectorAll('[data-testid^="stat-"]')]
      .map((tr) => [tr.dataset.testid.slice(5), tr.lastElementChild.textContent])));
    checkEqual(Object.keys(await rows()), fields, 'stats rows shown');
    // Refreshed: the frame counter shown follows the traffic.
    const framesBefore = Number((await rows()).framesIn);
    checkEqual(await this.call('echo', 'echo-submit').then(() => true), true, 'echo for the stats refresh');
    await waitFor(async () => Number((await rows()).framesIn) > framesBefore, 'framesIn shown to grow after a query');
    const shown = await rows();
    check(shown.state === 'pending' && Number(shown.socketsOpened) >= 1 && Number(shown.bytesIn) > 0,
      `stats shown: ${JSON.stringify(shown)}`);
    const d = await this.until('a ping round trip (keepAlive)', (d) => d.stats.lastPingRttMs !== null, 20000);
    const rtt = await this.text('ping-rtt');
    check(/^\d+ ms$/.test(rtt), `ping RTT shown (got ${JSON.stringify(rtt)})`);
    const items = await this.page.evaluate(() => [...document.querySelectorAll('[data-testid="timeline-item"]')].map((li) => li.textContent));
    check(d.timeline.some((t) => t.kind === 'state' && t.text === 'state connected') &&
          d.timeline.some((t) => t.kind === 'attempt' && /^attempt #0 in 0 ms/.test(t.text)) &&
          d.timeline.some((t) => t.kind === 'open'),
      `timeline has the first attempt, the open and the connected state (got ${JSON.stringify(d.timeline.map((t) => t.text))})`);
    checkEqual(items.length, d.timeline.length, 'timeline items shown');
    this.log(`stats shown (${Object.keys(shown).length} fields, ping RTT ${rtt}); timeline: ${d.timeline.map((t) => t.text).join(' | ')}`);
  }

  // The reconnect button (client.reconnect()): a new socket, make-before-break; the feed goes
  // on with no gap, no duplicate and no second onStarted; stats count one more socket and reconnect.
  async reconnect(label) {
    const before = await this.until('fresh stats', (d) => d.stats && d.stats.state === 'pending');
    const n = before.ids.length;
    const { socketsOpened, reconnects } = before.stats;
    const server0 = await control(this.base, 'stats');
    await this.page.locator(sel('reconnect')).click();
    await this.page.locator(sel('post-text')).fill(`during reconnect from ${label}`);
    const m1 = await this.call('post', 'post-submit');
    const d1 = await this.until('stats to show one more socket and reconnect',
      (d) => d.stats.socketsOpened === socketsOpened + 1 && d.stats.reconnects === reconnects + 1 && d.stats.state === 'pending');
    await this.page.locator(sel('post-text')).fill(`after reconnect from ${label}`);
    const m2 = await this.call('post', 'post-submit');
    checkEqual([m1.id, m2.id], [String(n + 1), String(n + 2)], 'ids of the messages posted around reconnect()');
    await this.until(`${n + 2} events in the feed`, (d) => d.ids.length >= n + 2);
    await new Promise((r) => setTimeout(r, 300)); // a late duplicate would show up here
    const d2 = await this.demo();
    checkContiguous(d2.ids, 1, n + 2, 'subscription event ids across reconnect()');
    checkEqual(await this.feedIds(), d2.ids, 'feed items shown across reconnect()');
    checkEqual(d2.starts, before.starts, 'onStarted calls (reconnect() must not start the subscription again)');
    check(!d2.states.slice(before.states.length).includes('connecting'), `state stayed connected (saw ${d2.states.slice(before.states.length).join(' → ')})`);
    const server1 = await control(this.base, 'stats');
    checkEqual(server1.totalConnections, server0.totalConnections + 1, 'sockets the server saw opened by reconnect()');
    const shown = await this.page.evaluate(() => [...document.querySelectorAll('[data-testid^="stat-"]')]
      .map((tr) => [tr.dataset.testid.slice(5), tr.lastElementChild.textContent]));
    const row = Object.fromEntries(shown);
    checkEqual([row.socketsOpened, row.reconnects], [String(socketsOpened + 1), String(reconnects + 1)], 'stats shown after reconnect()');
    check(d1.timeline.some((t) => t.text === 'reconnect() called'), 'timeline shows the reconnect() call');
    this.log(`reconnect(): socketsOpened ${socketsOpened} → ${socketsOpened + 1}, reconnects ${reconnects} → ${reconnects + 1}; feed ids ${d2.ids.join(',')}; onStarted ${d2.starts}`);
  }

  // A socket that goes silent (iOS Safari after a suspend, trpc#4078): the server stops
  // answering PING (/control/set?noPong=1). The page's keepAlive (a PING after 2 s without
  // traffic, 5 s to answer) must give the socket up and reconnect by itself; once the new socket
  // is open the server answers again, and the feed resumes from its last id, no gap, no duplicate.
  async silentSocket(label) {
    const before = await this.until('fresh stats', (d) => d.stats && d.stats.state === 'pending');
    const n = before.ids.length;
    const { socketsOpened } = before.stats;
    const server0 = await control(this.base, 'stats');
    await control(this.base, 'set?noPong=1');
    let d1;
    try {
      d1 = await this.until('the client to give the silent socket up and open another',
        (d) => d.stats.socketsOpened === socketsOpened + 1, 20000);
    } finally {
      await control(this.base, 'set?noPong=0');
    }
    const server1 = await control(this.base, 'stats');
    checkEqual(server1.pongsSent, server0.pongsSent, 'PONGs the server sent while silent');
    const closed = d1.timeline.slice(before.timeline.length).filter((t) => t.kind === 'close');
    check(closed.length >= 1, `timeline shows the silent socket closed (got ${JSON.stringify(d1.timeline.slice(before.timeline.length).map((t) => t.text))})`);
    await this.until('connected again', (d) => d.state === 'pending' && d.stats.state === 'pending', 15000);
    await this.page.locator(sel('post-text')).fill(`after a silent socket from ${label}`);
    const m = await this.call('post', 'post-submit');
    checkEqual(m.id, String(n + 1), 'id of the message posted after the silent socket');
    await this.until(`${n + 1} events in the feed`, (d) => d.ids.length >= n + 1);
    await new Promise((r) => setTimeout(r, 300)); // a late duplicate would show up here
    const d2 = await this.demo();
    checkContiguous(d2.ids, 1, n + 1, 'subscription event ids across the silent socket');
    checkEqual(await this.feedIds(), d2.ids, 'feed items shown across the silent socket');
    const starts = (await control(this.base, 'stats')).subscriptionStarts.filter((s) => s.path === 'onMessage');
    checkEqual(starts.at(-1).lastEventId, String(n), 'lastEventId the subscription was resent with');
    this.log(`silent socket: no PONG → ${closed.map((t) => t.text).join('; ')}; socketsOpened ${socketsOpened} → ${d2.stats.socketsOpened}; ` +
      `resent with lastEventId ${n}; feed ids ${d2.ids.join(',')}`);
  }

  feedIds() {
    return this.page.evaluate(() => [...document.querySelectorAll('[data-testid="feed-item"]')].map((li) => li.dataset.id));
  }

  // Restarts the server from the page's button; a second client posts while the page's client
  // reconnects; the feed must resume after the last id it saw, with no gap and no duplicate.
  async restart(label) {
    const before = await this.demo();
    const n = before.ids.length;
    await this.page.locator(sel('restart')).click();
    const d1 = await this.until('the restart to finish (server back + second client posted)',
      (d) => d.restart && d.restart.phase !== 'restarting', 25000);
    check(d1.restart.phase === 'done', `restart in the page: ${JSON.stringify(d1.restart)}`);
    checkEqual(d1.restart.postedId, String(n + 1), 'id of the message the second client posted');
    const d2 = await this.until('the page to reconnect and get the missed event',
      (d) => d.state === 'pending' && d.starts >= 2 && d.ids.length >= n + 1, 25000);
    const states = d2.states.slice(before.states.length);
    check(states.includes('connecting') && states.at(-1) === 'pending',
      `connection state went connecting → connected (saw ${states.join(' → ')})`);
    this.log(`restart: states ${states.join(' → ')}; last error ${JSON.stringify(d2.lastError)}`);

    await this.page.locator(sel('post-text')).fill(`after restart from ${label}`);
    const m = await this.call('post', 'post-submit');
    checkEqual(m.id, String(n + 2), 'id of the message posted after the restart');
    const d3 = await this.until(`${n + 2} events in the feed`, (d) => d.ids.length >= n + 2);
    await new Promise((r) => setTimeout(r, 300)); // a late duplicate would show up here
    const d4 = await this.demo();
    checkContiguous(d4.ids, 1, n + 2, 'subscription event ids across the restart');
    checkEqual(await this.feedIds(), d4.ids, 'feed items shown across the restart');
    check(d3.starts === 2 && d4.starts === 2, `subscription started exactly twice (got ${d4.starts})`);

    const stats = await control(this.base, 'stats');
    const starts = stats.subscriptionStarts.filter((s) => s.path === 'onMessage');
    check(starts.length >= 2, `server saw the subscription resent (starts: ${JSON.stringify(starts)})`);
    const resumedFrom = starts.at(-1).lastEventId;
    check(resumedFrom === String(n) || resumedFrom === String(n + 1),
      `resent with lastEventId ${n} or ${n + 1} (got ${JSON.stringify(resumedFrom)})`);
    this.log(`restart: resent with lastEventId ${resumedFrom} ` +
      (resumedFrom === String(n) ? `(event #${n + 1} replayed by the server)` : '(reconnected before the second client posted)') +
      `; feed ids ${d4.ids.join(',')}`);
  }
}

// Records page errors and console errors; returns a function that fails if there were page errors.
export function watchPage(page, log) {
  const pageErrors = [];
  page.on('pageerror', (e) => { pageErrors.push(String(e?.message ?? e)); log(`page error: ${e?.message ?? e}`); });
  page.on('console', (m) => {
    const type = typeof m.type === 'function' ? m.type() : m.type;
    if (type === 'error' || type === 'warning' || type === 'warn') log(`page console.${type}: ${m.text()}`);
  });
  return () => check(pageErrors.length === 0, `no uncaught page errors (got ${JSON.stringify(pageErrors)})`);
}
