// WebKit (WebKitGTK, Debian's webkit2gtk-driver) for the e2e checks: its own Xvfb display,
// WebKitWebDriver, and a session running MiniBrowser in automation mode, driven over plain W3C
// WebDriver (HTTP + JSON, Node's fetch). WebKitGTK has no WebDriver BiDi (a session asking for
// webSocketUrl is refused), so there are no console or page-error events: the page object below
// installs listeners in the page after each navigation and collects what they saw on every
// evaluate(). It offers the subset of a Playwright/Puppeteer page that e2e/lib/demo-page.mjs and
// e2e/lib/bfcache.mjs use: goto, goBack, evaluate (one argument), locator(css).fill()/click(),
// on('pageerror'|'console'), screenshot. Errors thrown while a page loads, before the listeners
// are in, are not seen (the test pages report their own start-up failures in window state).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

// WebKitGTK's MiniBrowser (package libwebkit2gtk-4.1-0); $MINIBROWSER overrides.
export function miniBrowserPath() {
  if (process.env.MINIBROWSER) return process.env.MINIBROWSER;
  const arch = { x64: 'x86_64', arm64: 'aarch64' }[process.arch] ?? process.arch;
  return `/usr/lib/${arch}-linux-gnu/webkit2gtk-4.1/MiniBrowser`;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Starts Xvfb on a display it picks itself (-displayfd: no race with other X servers).
function startXvfb() {
  const xvfb = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1280x800x24', '-nolisten', 'tcp'],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
  let err = '';
  xvfb.stderr.on('data', (d) => { err += d; });
  return new Promise((resolve, reject) => {
    let out = '';
    xvfb.on('error', (e) => reject(new Error(`cannot start Xvfb (apt-get install xvfb): ${e.message}`)));
    xvfb.on('exit', (code) => reject(new Error(`Xvfb exited (${code}): ${err.trim()}`)));
    xvfb.stdio[3].on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve({ proc: xvfb, display: `:${out.trim()}` });
    });
  });
}

class WebDriverError extends Error {}

/** A W3C WebDriver session: cmd(method, path, body) against /session/<id><path>. */
class Session {
  constructor(base, id, capabilities) {
    this.base = base;
    this.id = id;
    this.capabilities = capabilities;
  }

  async cmd(method, path, body) {
    const res = await fetch(`${this.base}/session/${this.id}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok || json?.value?.error) {
      throw new WebDriverError(`WebDriver ${method} ${path}: ${json?.value?.error ?? res.status}: ${json?.value?.message ?? ''}`);
    }
    return json.value;
  }
}

// Installed in the page after each navigation: uncaught errors, unhandled rejections and
// console.error/warn, kept until the next evaluate() collects them.
function installWatch() {
  if (window.__wdWatch) return;
  const seen = (window.__wdWatch = []);
  addEventListener('error', (e) => seen.push({ kind: 'pageerror', text: String(e.error?.stack ?? e.message) }));
  addEventListener('unhandledrejection', (e) => seen.push({ kind: 'pageerror', text: `unhandled rejection: ${e.reason?.stack ?? e.reason}` }));
  for (const type of ['error', 'warn']) {
    const orig = console[type];
    console[type] = (...args) => {
      seen.push({ kind: 'console', type, text: args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ') });
      return orig.apply(console, args);
    };
  }
}

/** The global WebKit defines in a page the first time WebDriver runs a script in it. */
export const AUTOMATION_GLOBAL = 'Symbol(automationSessionProxy)';

/** The page of a WebDriver session, shaped like the part of a Playwright page the tests use. */
export class WebDriverPage {
  constructor(session) {
    this.session = session;
    this.handlers = { pageerror: [], console: [] };
  }

  on(event, handler) {
    this.handlers[event]?.push(handler);
  }

  // watch: false leaves the page's globals alone (no listeners, no window.__wdWatch).
  async goto(url, { watch = true } = {}) {
    await this.session.cmd('POST', '/url', { url });
    if (watch) await this.evaluate(installWatch);
  }

  /** Back in the session's history (options as Playwright's goBack, ignored). */
  async goBack() {
    await this.session.cmd('POST', '/back', {});
  }

  /** Runs fn(arg) in the page (sync or async) and returns its JSON result. */
  async evaluate(fn, arg) {
    const script = `const r = await (${fn})(arguments[0]);
      const seen = window.__wdWatch ? window.__wdWatch.splice(0) : [];
      return JSON.stringify({ r: r === undefined ? null : r, seen });`;
    // The result crosses as a JSON string: WebKitWebDriver's own serialization does not keep
    // the order of an object's keys.
    const v = JSON.parse(await this.session.cmd('POST', '/execute/sync', { script: `return (async () => { ${script} })();`, args: [arg ?? null] }));
    for (const s of v.seen) {
      if (s.kind === 'pageerror') for (const h of this.handlers.pageerror) h(new Error(s.text));
      else for (const h of this.handlers.console) h({ type: s.type, text: () => s.text });
    }
    return v.r;
  }

  locator(css) {
    const find = async () => {
      const el = await this.session.cmd('POST', '/element', { using: 'css selector', value: css });
      return Object.values(el)[0];
    };
    return {
      fill: async (text) => {
        const id = await find();
        await this.session.cmd('POST', `/element/${id}/clear`, {});
        await this.session.cmd('POST', `/element/${id}/value`, { text });
      },
      click: async () => {
        const id = await find();
        await this.session.cmd('POST', `/element/${id}/click`, {});
      },
    };
  }

  async screenshot({ path }) {
    fs.writeFileSync(path, Buffer.from(await this.session.cmd('GET', '/screenshot'), 'base64'));
  }
}

/**
 * Starts Xvfb, WebKitWebDriver and a MiniBrowser session. Returns { page, version, userAgent,
 * close }: version is the WebKitGTK version the session reports (browserVersion).
 */
export async function launchWebKit({ width = 1180, height = 760 } = {}) {
  const procs = [];
  const close = async () => {
    for (const p of procs.reverse()) {
      if (p.exitCode === null && p.signalCode === null) {
        p.kill();
        await new Promise((r) => { p.once('exit', r); setTimeout(r, 3000).unref(); });
      }
    }
  };
  try {
    const xvfb = await startXvfb();
    procs.push(xvfb.proc);
    const port = await freePort();
    let driverErr = '';
    const driver = spawn('WebKitWebDriver', [`--port=${port}`, '--host=127.0.0.1'],
      { env: { ...process.env, DISPLAY: xvfb.display }, stdio: ['ignore', 'ignore', 'pipe'] });
    procs.push(driver);
    driver.stderr.on('data', (d) => { driverErr += d; });
    const spawned = new Promise((_, reject) => {
      driver.on('error', (e) => reject(new Error(`cannot start WebKitWebDriver (apt-get install webkit2gtk-driver): ${e.message}`)));
      driver.on('exit', (code) => reject(new Error(`WebKitWebDriver exited (${code}): ${driverErr.trim()}`)));
    });
    spawned.catch(() => {});
    const base = `http://127.0.0.1:${port}`;
    const ready = (async () => {
      for (let i = 0; i < 100; i++) {
        try {
          if ((await (await fetch(`${base}/status`)).json()).value?.ready) return;
        } catch {}
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`WebKitWebDriver did not answer on ${base}/status: ${driverErr.trim()}`);
    })();
    await Promise.race([ready, spawned]);
    const binary = miniBrowserPath();
    if (!fs.existsSync(binary)) throw new Error(`MiniBrowser not found at ${binary} (apt-get install webkit2gtk-driver; or set MINIBROWSER)`);
    const res = await fetch(`${base}/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ capabilities: { alwaysMatch: { 'webkitgtk:browserOptions': { binary, args: ['--automation'] } } } }),
    });
    const json = await res.json();
    if (!json.value?.sessionId) throw new Error(`WebKitWebDriver refused the session: ${JSON.stringify(json)}`);
    const session = new Session(base, json.value.sessionId, json.value.capabilities);
    await session.cmd('POST', '/window/rect', { width, height }).catch(() => {});
    const page = new WebDriverPage(session);
    const userAgent = await page.evaluate(() => navigator.userAgent);
    return {
      page,
      version: json.value.capabilities.browserVersion,
      userAgent,
      close: async () => {
        await session.cmd('DELETE', '').catch(() => {});
        await close();
      },
    };
  } catch (err) {
    await close();
    throw err;
  }
}
