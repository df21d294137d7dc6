// The browser part of `make bench` (bench/run.sh runs it after run.mjs): headless Chromium
// (Debian's /usr/bin/chromium, driven by playwright-core, flags as in e2e/), a fresh browser
// context (empty HTTP and code caches) for every page load, against one real test server.
//
// Pages (bench/browser/*.js, bundled and minified by esbuild, served by e2e/lib/static-server.mjs
// with brotli 11 and immutable caching of the hashed files, as README's "Serving the wasm" says):
//   bare          the wire protocol by hand on a bare WebSocket (the floor)
//   reference     @trpc/client 11.25.2 createWSClient + wsLink + createTRPCClient
//   minimal-link  createTRPCClient over bench/minimal-link.mjs (the limit for any link)
//   ours          trpcws createTRPCWebSocket + wsLink + createTRPCClient
//   ours-preload  the same page with <link rel="preload" as="fetch"> for the .wasm in its <head>
//   ours-early    the same, the compile started by an inline <head> script, handed to init()
// Per load: navigation start → first query answered, bytes downloaded by then (on the wire,
// compressed; and decoded), then sequential `echo` latency after a warm-up (default 3,000
// queries, then 2,000 timed). For the wasm pages, where start-up goes: .wasm fetch, compile,
// instantiate, Go runtime start (go.run), first socket open. A repeat visit (same context:
// HTTP cache and V8's code cache) is measured too.
//
// Environment: BENCH_QUICK=1, BENCH_BROWSER_ROUNDS, BENCH_BROWSER_KINDS, BENCH_OUT, CHROMIUM.
// BENCH_BEFORE=dir (a second, built web package, as in run.mjs): the pages `ours` and `ours-wait`
// are also built against it, as `ours-before` and `ours-wait-before`, loaded in the same
// interleaved rounds; the output adds a before/after table (medians and spread).
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { chromium } from 'playwright-core';
import { startStatic } from '../e2e/lib/static-server.mjs';
import { BEFORE, beforeAfterMarkdown, roundOrder, spread } from './beforeafter.mjs';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(benchDir);
const quick = !!process.env.BENCH_QUICK && process.env.BENCH_QUICK !== '0';
const outDir = path.resolve(root, process.env.BENCH_OUT || 'artifacts');
const ROUNDS = Number(process.env.BENCH_BROWSER_ROUNDS ?? (quick ? 3 : 5));
const WARM = quick ? 1000 : 3000;
const N = quick ? 500 : 2000;
const log = (s) => process.stderr.write(`${s}\n`);

const KINDS = [
  { id: 'bare', label: 'bare WebSocket loop (floor)', entry: 'bare.js' },
  { id: 'reference', label: '@trpc/client 11.25.2 wsLink (reference)', entry: 'reference.js' },
  { id: 'minimal-link', label: 'createTRPCClient + minimal link (limit)', entry: 'minimal.js' },
  { id: 'ours', label: 'trpcws wsLink + createTRPCClient', entry: 'ours.js' },
  { id: 'ours-wait', label: 'trpcws, earlyStart: false (first query waits for the module)', entry: 'ours-wait.js' },
  { id: 'ours-preload', label: 'trpcws, .wasm preloaded from <head>', entry: 'ours.js', preload: true },
  { id: 'ours-early', label: 'trpcws, compile started by an inline <head> script', entry: 'ours-early.js', early: true },
];
const webDir = path.join(root, 'web');
const before = process.env.BENCH_BEFORE ? { dir: path.resolve(process.env.BENCH_BEFORE), label: process.env.BENCH_BEFORE_LABEL } : null;
if (before) {
  for (const f of ['index.js', 'trpcws.wasm', 'trpcws.wasm.br', 'trpcws.wasm.gz', 'wasm_exec.js']) {
    if (!fs.existsSync(path.join(before.dir, f))) throw new Error(`BENCH_BEFORE=${before.dir}: no ${f} (build it there first)`);
  }
  if (!before.label) {
    try {
      before.label = execFileSync('git', ['-C', before.dir, 'rev-parse', '--short', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    } catch {
      before.label = before.dir;
    }
  }
  for (const id of ['ours-wait', 'ours']) {
    const i = KINDS.findIndex((k) => k.id === id);
    KINDS.splice(i + 1, 0, { ...KINDS[i], id: id + BEFORE, label: `${KINDS[i].label}, before (${before.label})`, web: before.dir });
  }
}
let kinds = KINDS;
if (process.env.BENCH_BROWSER_KINDS) {
  const want = new Set(process.env.BENCH_BROWSER_KINDS.split(','));
  kinds = KINDS.filter((k) => want.has(k.id) || (k.web && want.has(k.id.slice(0, -BEFORE.length))));
}

// ------------------------------------------------------------ build

// @trpc/* from bench/node_modules for every page (web/ has its own copy for its tests), so the
// wasm page carries one copy of @trpc/client like a real app.
const oneTrpc = {
  name: 'one-trpc',
  setup(build) {
    build.onResolve({ filter: /^@trpc\// }, (args) =>
      args.resolveDir === benchDir ? undefined : build.resolve(args.path, { kind: args.kind, resolveDir: benchDir }));
  },
};

// A `-before` page: its imports of the web package (../../web/...) come from BENCH_BEFORE instead.
const otherWeb = (web) => ({
  name: 'other-web',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/\.\.\/web\// }, (args) => ({ path: path.join(web, args.path.slice('../../web/'.length)) }));
  },
});

async function buildPages(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  const pages = {};
  for (const k of kinds) {
    const out = path.join(dir, k.id);
    const web = k.web ?? webDir;
    const r = await esbuild.build({
      entryPoints: [path.join(benchDir, 'browser', k.entry)],
      bundle: true,
      format: 'esm',
      minify: true,
      target: 'es2022',
      outdir: out,
      entryNames: '[name]-[hash]',
      assetNames: '[name]-[hash]',
      loader: { '.wasm': 'file' },
      plugins: k.web ? [otherWeb(k.web), oneTrpc] : [oneTrpc],
      metafile: true,
      logLevel: 'warning',
    });
    const files = Object.keys(r.metafile.outputs).map((f) => path.basename(f));
    const js = files.find((f) => f.endsWith('.js'));
    const wasm = files.find((f) => f.endsWith('.wasm'));
    let head = k.preload && wasm ? `<link rel="preload" href="${wasm}" as="fetch" type="application/wasm" crossorigin>\n` : '';
    if (k.early && wasm) head = `<script>window.__trpcwsModule = WebAssembly.compileStreaming(fetch(${JSON.stringify(wasm)}));</script>\n`;
    fs.writeFileSync(path.join(out, 'index.html'),
      `<!doctype html>\n<meta charset="utf-8">\n<link rel="icon" href="data:,">\n${head}<title>${k.id}</title>\n<script type="module" src="${js}"></script>\n`);
    if (wasm) {
      // the package's precompressed copies (same bytes), as README's "Serving the wasm" says
      fs.copyFileSync(path.join(web, 'trpcws.wasm.br'), path.join(out, `${wasm}.br`));
      fs.copyFileSync(path.join(web, 'trpcws.wasm.gz'), path.join(out, `${wasm}.gz`));
    }
    pages[k.id] = { js, wasm, jsBytes: fs.statSync(path.join(out, js)).size };
  }
  return pages;
}

// ------------------------------------------------------------ instrumentation

// Runs in every page before its scripts: timestamps of the start-up steps.
function instrument() {
  const s = (window.__steps = {});
  const mark = (k) => { if (s[k] === undefined) s[k] = performance.now(); };
  const W = WebAssembly;
  for (const name of ['compileStreaming', 'compile', 'instantiate', 'instantiateStreaming']) {
    const f = W[name];
    if (typeof f !== 'function') continue;
    W[name] = function (...args) {
      mark(`${name}Start`);
      const p = f.apply(this, args);
      p.then(() => mark(`${name}End`), () => {});
      return p;
    };
  }
  // wasm_exec.js assigns globalThis.Go; wrap its run() to time the Go runtime's start.
  let Go;
  Object.defineProperty(globalThis, 'Go', {
    configurable: true,
    enumerable: false,
    get: () => Go,
    set(v) {
      Go = v;
      const run = v?.prototype?.run;
      if (typeof run === 'function' && !run.__timed) {
        v.prototype.run = function (...args) {
          mark('goRunStart');
          const p = run.apply(this, args);
          mark('goRunEnd'); // Go's main has started the bridge and blocks
          return p;
        };
        v.prototype.run.__timed = true;
      }
    },
  });
  const WS = globalThis.WebSocket;
  globalThis.WebSocket = class extends WS {
    constructor(...args) {
      mark('socketNew');
      super(...args);
      this.addEventListener('open', () => mark('socketOpen'), { once: true });
    }
  };
}

// ------------------------------------------------------------ the test server

async function startServer() {
  const child = spawn(process.execPath, [path.join(root, 'testserver/server.mjs'), '--port', '0', '--quiet', '--no-stack'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /LISTENING (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`test server exited with ${code}`)));
  });
  return { url: `ws://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

// ------------------------------------------------------------ one load

async function load(browser, statics, server, kind, repeat) {
  const context = await browser.newContext();
  try {
    await context.addInitScript(instrument);
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e?.message ?? e)));
    const url = `${statics.url}/${kind.id}/?ws=${encodeURIComponent(server.url)}&warm=${WARM}&n=${N}`;
    const results = [];
    for (let visit = 0; visit < (repeat ? 2 : 1); visit++) {
      await page.goto(url, { waitUntil: 'commit' });
      await page.waitForFunction(() => window.__bench?.done || window.__bench?.error, null, { timeout: 60000, polling: 50 });
      const r = await page.evaluate(() => {
        const wasm = performance.getEntriesByType('resource').find((e) => e.name.endsWith('.wasm'));
        return {
          ...window.__bench,
          steps: window.__steps,
          wasmFetch: wasm ? { start: wasm.startTime, responseStart: wasm.responseStart, end: wasm.responseEnd, transfer: wasm.transferSize } : null,
          domContentLoaded: performance.getEntriesByType('navigation')[0]?.domContentLoadedEventEnd ?? null,
        };
      });
      if (r.error) throw new Error(`${kind.id}: ${r.error}`);
      if (errors.length) throw new Error(`${kind.id}: page errors ${errors.join('; ')}`);
      results.push(r);
    }
    return results;
  } finally {
    await context.close();
  }
}

// ------------------------------------------------------------ main

function median(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}
const fmt = (x, d = 0) => (x == null ? '–' : x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }));
const kb = (x) => (x == null ? '–' : fmt(x / 1000, 1));

async function main() {
  const t0 = Date.now();
  const dir = path.join(benchDir, '.build/browser');
  const pages = await buildPages(dir);
  const statics = await startStatic(dir, { compress: true });
  const server = await startServer();
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const version = browser.version();
  log(`bench (browser): Chromium ${version}, ${kinds.map((k) => k.id).join(', ')}; ${ROUNDS} rounds, warm-up ${WARM} queries, ${N} timed`);
  const raw = Object.fromEntries(kinds.map((k) => [k.id, []]));
  const failures = [];
  try {
    // warm-up (discarded): the server's paths, the static server's brotli cache
    for (const k of kinds) await load(browser, statics, server, k, false).catch((e) => failures.push(`warm-up ${k.id}: ${e.message}`));
    for (let r = 0; r < ROUNDS; r++) {
      const order = roundOrder(kinds, r);
      log(`bench (browser): round ${r + 1}/${ROUNDS}`);
      for (const k of order) {
        try {
          const loads = await load(browser, statics, server, k, r < Math.ceil(ROUNDS / 2));
          loads[0].round = r; // pairs a page with its -before page of the same round
          raw[k.id].push(loads);
        } catch (err) {
          failures.push(`${k.id}: ${err.message}`);
          log(`  ${k.id}: FAILED ${err.message}`);
        }
      }
    }
  } finally {
    await browser.close();
    await statics.close();
    server.stop();
  }

  const M = {};
  for (const k of kinds) {
    const first = raw[k.id].map((v) => v[0]);
    const again = raw[k.id].filter((v) => v.length > 1).map((v) => v[1]);
    const st = (f) => median(first.map(f));
    M[k.id] = {
      label: k.label,
      runs: first.length,
      first_ms: st((x) => x.firstMs),
      repeat_first_ms: median(again.map((x) => x.firstMs)),
      wire_bytes: st((x) => x.bytes.wire),
      decoded_bytes: st((x) => x.bytes.decoded),
      all_wire_bytes: st((x) => x.bytesAll?.wire),
      seq_us: st((x) => x.seqUs),
      js_bytes: pages[k.id].jsBytes,
      steps: {
        fetch_start: st((x) => x.wasmFetch?.start),
        fetch_end: st((x) => x.wasmFetch?.end),
        compile_start: st((x) => x.steps.compileStreamingStart ?? x.steps.compileStart),
        compile_end: st((x) => x.steps.compileStreamingEnd ?? x.steps.compileEnd),
        instantiate_ms: st((x) => x.steps.instantiateEnd - x.steps.instantiateStart),
        go_run_ms: st((x) => x.steps.goRunEnd - x.steps.goRunStart),
        go_run_end: st((x) => x.steps.goRunEnd),
        socket_new: st((x) => x.steps.socketNew),
        socket_open: st((x) => x.steps.socketOpen),
        dom_content_loaded: st((x) => x.domContentLoaded),
      },
      repeat_steps: {
        compile_ms: median(again.map((x) => (x.steps.compileStreamingEnd ?? x.steps.compileEnd) - (x.steps.compileStreamingStart ?? x.steps.compileStart))),
        wire_bytes: median(again.map((x) => x.bytes.wire)),
      },
    };
  }
  const ratio = (a, b) => (a == null || b == null || b === 0 ? null : a / b);
  const ref = M.reference;
  const lim = M['minimal-link'];
  const targets = [];
  const target = (name, value, op, limit) =>
    targets.push({ name, value, op, limit, status: value == null ? 'N/A' : (op === '<=' ? value <= limit : value >= limit) ? 'PASS' : 'MISS' });
  for (const id of ['ours', 'ours-wait', 'ours-preload', 'ours-early']) {
    if (!M[id]) continue;
    target(`Chromium: first query answered, ${id} ≤ 1.3× reference`, ratio(M[id].first_ms, ref?.first_ms), '<=', 1.3);
  }
  target('Chromium: warm sequential latency, ours ≤ 1.1× minimal link', ratio(M.ours?.seq_us, lim?.seq_us), '<=', 1.1);
  const ratios = [];
  for (const k of kinds) {
    ratios.push({ name: `${k.id} first query / reference`, value: ratio(M[k.id].first_ms, ref?.first_ms) });
    ratios.push({ name: `${k.id} bytes on the wire by the first answer / reference`, value: ratio(M[k.id].wire_bytes, ref?.wire_bytes) });
    ratios.push({ name: `${k.id} bytes on the wire in all / reference`, value: ratio(M[k.id].all_wire_bytes, ref?.all_wire_bytes) });
    ratios.push({ name: `${k.id} warm seq latency / minimal link`, value: ratio(M[k.id].seq_us, lim?.seq_us) });
  }

  const beforeRows = before ? compareBefore(raw, M, pages) : null;

  const L = [];
  L.push(`### Browser (Chromium ${version} headless, fresh context per load; medians of ${ROUNDS}${quick ? ', quick run' : ''})`);
  L.push('');
  L.push(`Pages bundled and minified by esbuild, served over loopback with brotli 11 (\`.wasm\` precompressed) by e2e/lib/static-server.mjs; ` +
    `one real @trpc/server 11.25.2 test server. Warm latency: ${fmt(N)} sequential \`echo\` queries after ${fmt(WARM)}. ` +
    `Repeat visit: the same page loaded again in the same context (HTTP cache and V8's code cache), first ${Math.ceil(ROUNDS / 2)} rounds.`);
  L.push('');
  L.push('| page | navigation → first query answered ms | repeat visit ms | bytes on the wire by the first answer KB | decoded KB | bytes on the wire in all KB | JS bundle KB | warm sequential µs/query |');
  L.push('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const k of kinds) {
    const m = M[k.id];
    L.push(`| ${m.label} | ${fmt(m.first_ms, 1)} | ${fmt(m.repeat_first_ms, 1)} | ${kb(m.wire_bytes)} | ${kb(m.decoded_bytes)} | ${kb(m.all_wire_bytes)} | ${kb(m.js_bytes)} | ${fmt(m.seq_us)} |`);
  }
  L.push('');
  const wasmKinds = kinds.filter((k) => k.id.startsWith('ours'));
  if (wasmKinds.length) {
    L.push('Start-up of the wasm pages (ms since navigation start, medians): when each step ended, or how long it took.');
    L.push('');
    L.push('| page | DOMContentLoaded | .wasm fetch start → end | compile start → end | instantiate | Go runtime start (go.run) | socket new → open | first query answered | repeat visit: compile |');
    L.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const k of wasmKinds) {
      const m = M[k.id];
      const s = m.steps;
      L.push(`| ${k.id} | ${fmt(s.dom_content_loaded, 1)} | ${fmt(s.fetch_start, 1)} → ${fmt(s.fetch_end, 1)} | ${fmt(s.compile_start, 1)} → ${fmt(s.compile_end, 1)} | ` +
        `${fmt(s.instantiate_ms, 1)} | ${fmt(s.go_run_ms, 1)} (ends ${fmt(s.go_run_end, 1)}) | ${fmt(s.socket_new, 1)} → ${fmt(s.socket_open, 1)} | ${fmt(m.first_ms, 1)} | ${fmt(m.repeat_steps.compile_ms, 1)} |`);
    }
    L.push('');
  }
  if (beforeRows?.length) {
    L.push(`Before / after in this run: \`-before\` pages are built from ${before.dir} (${before.label}); spread over the ${ROUNDS} loads (repeat visits: ${Math.ceil(ROUNDS / 2)}).`);
    L.push('');
    L.push(...beforeAfterMarkdown(beforeRows, before.label, (v) => fmt(v, Math.abs(v) < 100 ? 1 : 0)));
    L.push('');
  }
  L.push('Ratios:');
  L.push('');
  for (const x of ratios) if (x.value != null) L.push(`- ${x.name}: ${x.value.toFixed(2)}×`);
  L.push('');
  L.push('| target | measured | status |');
  L.push('|---|---:|---|');
  for (const t of targets) L.push(`| ${t.name} | ${t.value == null ? '–' : `${t.value.toFixed(2)}×`} | ${t.status} |`);
  for (const f of failures) L.push(`\nFailed: ${f}`);
  const md = L.join('\n') + '\n';
  const result = { date: new Date().toISOString(), quick, chromium: version, rounds: ROUNDS, warm: WARM, n: N, pages, medians: M, ratios, targets, before: before && { ...before, rows: beforeRows }, failures, raw, seconds: Math.round((Date.now() - t0) / 1000) };
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'bench-browser.json'), JSON.stringify(result, null, 2) + '\n');
  fs.writeFileSync(path.join(outDir, 'bench-browser.md'), md);
  process.stdout.write(md);
  process.stdout.write(`\nwrote ${path.relative(root, path.join(outDir, 'bench-browser.md'))} and .json (${result.seconds} s)\n`);
  if (kinds.some((k) => !M[k.id].runs)) process.exitCode = 1;
}

/**
 * BENCH_BEFORE's rows: each `-before` page beside its counterpart, per-load
 * values (medians, min–max), against the reference and the minimal link
 * where the measure has one.
 */
function compareBefore(raw, M, pages) {
  const rows = [];
  const first = (id) => (raw[id] ?? []).map((v) => v[0]);
  const again = (id) => (raw[id] ?? []).filter((v) => v.length > 1).map((v) => v[1]);
  const dur = (x, a, b) => x.steps[b] - x.steps[a];
  const compile = (x) => (x.steps.compileStreamingEnd ?? x.steps.compileEnd) - (x.steps.compileStreamingStart ?? x.steps.compileStart);
  const measures = [
    ['navigation → first query answered ms', (x) => x.firstMs, first, true],
    ['repeat visit: first query answered ms', (x) => x.firstMs, again, true],
    ['warm sequential µs/query', (x) => x.seqUs, first, true],
    ['bytes on the wire by the first answer KB', (x) => x.bytes.wire / 1000, first, true],
    ['bytes on the wire in all KB', (x) => x.bytesAll?.wire / 1000, first, true],
    ['.wasm fetch start → end ms', (x) => (x.wasmFetch ? x.wasmFetch.end - x.wasmFetch.start : null), first],
    ['compile ms', compile, first],
    ['instantiate ms', (x) => dur(x, 'instantiateStart', 'instantiateEnd'), first],
    ['Go runtime start (go.run) ms', (x) => dur(x, 'goRunStart', 'goRunEnd'), first],
    ['Go running at (go.run returned), ms since navigation', (x) => x.steps.goRunEnd, first],
    ['repeat visit: compile ms', compile, again],
  ];
  for (const id of ['ours', 'ours-wait']) {
    if (!M[id] || !M[id + BEFORE]) continue;
    for (const [name, f, runs, vs] of measures) {
      const after = spread(runs(id).map(f));
      const was = spread(runs(id + BEFORE).map(f));
      if (!after || !was) continue;
      const other = (k) => (vs ? median(runs(k).map(f)) : null);
      // the loads of the same round (first visits are tagged; a repeat visit is v[1] of the same v)
      const byRound = (k) => new Map((raw[k] ?? []).map((v) => [v[0].round, runs === first ? v[0] : v[1]]));
      const b = byRound(id + BEFORE);
      const ratios = [...byRound(id)].map(([r, x]) => (x && b.get(r) ? f(x) / f(b.get(r)) : null));
      rows.push({ group: id, name, after, before: was, ref: other('reference'), lim: other('minimal-link'), paired: spread(ratios) });
    }
    const js = (k) => (pages[k] ? pages[k].jsBytes / 1000 : null);
    rows.push({ group: id, name: 'JS bundle KB (minified)', after: spread([js(id)]), before: spread([js(id + BEFORE)]), ref: js('reference'), lim: js('minimal-link') });
  }
  return rows;
}

main().catch((err) => {
  log(`bench (browser): ${err?.stack ?? err}`);
  process.exit(1);
});
