// The `make bench` driver (bench/run.sh installs and builds, then runs this;
// bench/README.md explains the choices).
//
// One real test server (../testserver/server.mjs, @trpc/server 11.25.2 +
// ws) serves every client kind, one client process at a time: the clients
// never overlap, so they cannot steal each other's CPU, and one server keeps
// the server side identical for all of them. Before every client process
// the driver waits until the server has no connection left (the previous
// process's subscriptions are torn down) and calls /control/reset (its stats
// and chat state). A short discarded warm-up pass JITs the server first.
// Then R rounds, each running every kind once in a rotated order
// (a,b,c,d / b,c,d,a / ...), so slow drifts of a shared machine spread over
// all kinds; medians are reported. A kind's `-before` twin runs next to it,
// after it in even rounds and before it in odd ones (roundOrder).
//
// Each client kind runs in its own process (bench/clients.mjs for
// JavaScript, bench/.build/gobench for Go, bench/overhead.mjs for the
// fake-socket runs), so process CPU time and memory are the kind's own.
//
// The machine is shared, so every run records how much CPU other processes
// took while it ran (/proc/stat minus the client, the server and this
// driver). Before each run the driver waits, a bounded time, for a quiet
// moment; runs with too much foreign load are re-run within a budget, and
// medians use the clean runs when there are enough of them.
//
// Environment: BENCH_QUICK=1 (about a minute), BENCH_ROUNDS, BENCH_MEM_ROUNDS,
// BENCH_OVERHEAD_ROUNDS, BENCH_KINDS (comma list), BENCH_OUT (directory,
// default artifacts), BENCH_CLEAN (0.15), BENCH_GATE_BUSY (0.3),
// BENCH_GATE_BUDGET_MS, BENCH_RETRY_BUDGET_MS, BENCH_VERBOSE=1.
//
// Before and after in one run: BENCH_BEFORE=dir names a second, built web
// package (index.js, trpcws.wasm, wasm_exec.js, node_modules), e.g. web/ of a
// git worktree at an older commit. Its wasm kinds run as `wasm-link-before`,
// `wasm-direct-before` (and `wasm-before`, `wasm-bare-before` at start-up, and
// on the fake socket) in the same interleaved rounds as this checkout's, and
// the output adds a before/after table with medians and spread.
// BENCH_BEFORE_LABEL names it (default: the directory's git commit).
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BEFORE, beforeAfterMarkdown, rotate, roundOrder, spread } from './beforeafter.mjs';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(benchDir);
const quick = !!process.env.BENCH_QUICK && process.env.BENCH_QUICK !== '0';
const outDir = path.resolve(root, process.env.BENCH_OUT || 'artifacts');
const node = process.execPath;
const nodeFlags = ['--experimental-websocket', '--expose-gc', '--no-warnings'];

// coldMs: sequential queries right after connecting, before anything is
// measured (JavaScript JIT, and V8's tier-up of the Go wasm code, which takes
// 1–2 s here); reported separately as "cold". Go needs little.
const P = quick
  ? { rounds: 2, memRounds: 1, overheadRounds: 1, overheadN: 500, overheadWarmMs: 700, startPerRound: 1, coldMs: 1000, goColdMs: 200, memColdMs: 300, seqMs: 300, tputMs: 300, warmMs: 100, floods: [{ count: 10000, size: 0 }, { count: 3000, size: 1024 }] }
  : { rounds: 5, memRounds: 2, overheadRounds: 2, overheadN: 1500, overheadWarmMs: 1500, startPerRound: 1, coldMs: 2000, goColdMs: 300, memColdMs: 1000, seqMs: 600, tputMs: 600, warmMs: 250, floods: [{ count: 25000, size: 0 }, { count: 8000, size: 1024 }] };
if (process.env.BENCH_ROUNDS) P.rounds = Number(process.env.BENCH_ROUNDS);
if (process.env.BENCH_MEM_ROUNDS) P.memRounds = Number(process.env.BENCH_MEM_ROUNDS);
if (process.env.BENCH_OVERHEAD_ROUNDS) P.overheadRounds = Number(process.env.BENCH_OVERHEAD_ROUNDS);
const SUBS = 10000;
// A run is "clean" when other processes used at most this share of all
// CPUs while it ran; medians use clean runs when there are enough of them.
const CLEAN = Number(process.env.BENCH_CLEAN ?? 0.15);
const isClean = (x) => x.foreign_busy == null || x.foreign_busy <= CLEAN;
const needClean = (n) => Math.min(3, Math.ceil(n / 2));
const INFLIGHT = 100;

// The client kinds, in table order.
const KINDS = [
  { id: 'js-floor', label: 'JS floor: bare loop, host WebSocket (undici)', lang: 'js' },
  { id: 'js-floor-ws', label: 'JS bare loop on npm ws', lang: 'js' },
  { id: 'reference', label: '@trpc/client 11.25.2 wsLink (reference)', lang: 'js' },
  { id: 'minimal-link', label: 'limit: createTRPCClient over a minimal link (one frame per op, bare WebSocket)', lang: 'js' },
  { id: 'wasm-link', label: 'wasm client via createTRPCClient + our wsLink', lang: 'js' },
  { id: 'wasm-direct', label: 'wasm client, client.request() directly', lang: 'js' },
  { id: 'go-floor', label: 'Go floor: bare loop, coder/websocket', lang: 'go' },
  { id: 'go-native', label: 'native Go client (trpcws.NewClient)', lang: 'go' },
];
const wasmKinds = new Set(['wasm-link', 'wasm-direct']);

// BENCH_BEFORE: a second web package, measured as `<kind>-before` (see the header).
const before = beforePackage();
function beforePackage() {
  if (!process.env.BENCH_BEFORE) return null;
  const dir = path.resolve(process.env.BENCH_BEFORE);
  for (const f of ['index.js', 'trpcws.wasm', 'wasm_exec.js', 'node_modules/@trpc/client']) {
    if (!fs.existsSync(path.join(dir, f))) throw new Error(`BENCH_BEFORE=${dir}: no ${f} (build it and npm ci there first)`);
  }
  let label = process.env.BENCH_BEFORE_LABEL;
  if (!label) {
    try {
      label = execFileSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    } catch {
      label = dir;
    }
  }
  return { dir, label };
}
/** The client kind a (maybe `-before`) id runs, and the web package it loads. */
const baseKind = (id) => (id.endsWith(BEFORE) ? id.slice(0, -BEFORE.length) : id);
const kindEnv = (id) => (id.endsWith(BEFORE) ? { ...process.env, BENCH_WEB: before.dir } : process.env);
if (before) {
  for (const id of [...wasmKinds].reverse()) {
    const i = KINDS.findIndex((k) => k.id === id);
    KINDS.splice(i + 1, 0, { ...KINDS[i], id: id + BEFORE, label: `${KINDS[i].label}, before (${before.label})` });
    wasmKinds.add(id + BEFORE);
  }
}

const wasmPath = path.join(root, 'web/trpcws.wasm');
const helloPath = path.join(benchDir, '.build/hello.wasm');
const gobench = path.join(benchDir, '.build/gobench');
const wasmUsable = fs.existsSync(wasmPath) && fs.existsSync(path.join(root, 'web/index.js')) && fs.existsSync(path.join(root, 'web/wasm_exec.js'));

let kinds = KINDS.filter((k) => wasmUsable || !wasmKinds.has(k.id));
if (process.env.BENCH_KINDS) {
  const want = new Set(process.env.BENCH_KINDS.split(','));
  kinds = kinds.filter((k) => want.has(k.id) || want.has(baseKind(k.id))); // wasm-link also brings wasm-link-before
}
const notes = [];
if (!wasmUsable) notes.push('web/trpcws.wasm, web/index.js or web/wasm_exec.js missing: wasm client not measured');

let clkTck = 100;
try {
  clkTck = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
} catch {
  // Linux's usual value
}

// ------------------------------------------------------------ the server

async function startServer() {
  const child = spawn(node, [path.join(root, 'testserver/server.mjs'), '--port', '0', '--quiet', '--no-stack'], {
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
    child.once('error', reject);
  });
  const base = `http://127.0.0.1:${port}`;
  const control = async (p) => {
    const res = await fetch(base + p);
    if (!res.ok) throw new Error(`${p}: HTTP ${res.status}`);
    return res.json();
  };
  return {
    pid: child.pid,
    url: `ws://127.0.0.1:${port}`,
    control,
    /** Waits until the previous client's sockets are gone, then resets. */
    async settle() {
      const until = Date.now() + 10000;
      while (Date.now() < until) {
        const s = await control('/control/stats');
        if (s.connections === 0) break;
        await sleep(50);
      }
      await control('/control/reset');
    },
    stop() {
      child.kill('SIGTERM');
    },
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------ the quiet gate

// The machine is shared: before each client process, sample how busy the
// CPUs are (our server is idle then) and wait, a bounded time, for a quieter
// moment. The busy fraction each run started at is recorded.
function cpuTimes() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const idle = f[3] + (f[4] || 0);
  const total = f.reduce((a, b) => a + b, 0);
  return { idle, total };
}
async function busyFraction(ms) {
  try {
    const a = cpuTimes();
    await sleep(ms);
    const b = cpuTimes();
    const total = b.total - a.total;
    return total > 0 ? 1 - (b.idle - a.idle) / total : 0;
  } catch {
    return null; // no /proc/stat
  }
}
/** Ticks: all CPUs busy, this process's reaped children, a pid's own. */
function ticks() {
  try {
    // user nice system idle iowait irq softirq steal (guest is inside user)
    const all = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
    const total = all.reduce((a, b) => a + b, 0);
    const me = statFields('self');
    return { busy: total - all[3] - (all[4] || 0), total, children: me[13] + me[14], self: me[11] + me[12] };
  } catch {
    return null;
  }
}
function statFields(pid) {
  const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return s.slice(s.lastIndexOf(')') + 2).split(' ').map(Number);
}
function pidTicks(pid) {
  try {
    const f = statFields(pid);
    return f[11] + f[12];
  } catch {
    return 0;
  }
}
/**
 * The share of all CPUs that processes other than this benchmark (driver,
 * server, the client process just reaped) used between a and b.
 */
function foreignShare(a, b, serverA, serverB) {
  if (!a || !b || b.total === a.total) return null;
  const ours = b.children - a.children + (b.self - a.self) + (serverB - serverA);
  return Math.max(0, (b.busy - a.busy - ours) / (b.total - a.total));
}

// Waiting for quiet moments and re-running noisy kinds stop once the run
// has taken this long, so that a busy machine does not stretch it much.
const START = Date.now();
const SOFT_LIMIT_MS = Number(process.env.BENCH_SOFT_LIMIT_S ?? (quick ? 60 : 270)) * 1000;
const inTime = (extraMs = 0) => Date.now() - START + extraMs < SOFT_LIMIT_MS;

const GATE_BUSY = Number(process.env.BENCH_GATE_BUSY ?? 0.3);
let gateBudgetMs = Number(process.env.BENCH_GATE_BUDGET_MS ?? (quick ? 10000 : 30000));
const backgroundBusy = [];
async function quietGate() {
  const t = Date.now();
  let busy = await busyFraction(100);
  while (busy != null && busy > GATE_BUSY && Date.now() - t < 5000 && gateBudgetMs - (Date.now() - t) > 0 && inTime()) {
    busy = await busyFraction(250);
  }
  gateBudgetMs -= Date.now() - t;
  if (busy != null) backgroundBusy.push(busy);
  return busy;
}

// ------------------------------------------------------------ one client process

function runProcess(cmd, args, timeoutMs, env = process.env) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => {
      err += `\n(killed after ${timeoutMs} ms)`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop();
      try {
        if (code !== 0) throw new Error(`exit ${code}`);
        resolve({ ok: true, result: JSON.parse(line) });
      } catch (e) {
        resolve({ ok: false, error: `${e.message}: ${err.trim().split('\n').slice(-8).join(' | ')}` });
      }
    });
  });
}

function clientCommand(id, mode, server, over = {}) {
  const kind = baseKind(id);
  if (mode === 'overhead') {
    return [node, ['--no-warnings', path.join(benchDir, 'overhead.mjs'), kind, '--n', String(P.overheadN), '--warm', String(P.overheadWarmMs)]];
  }
  const cfg = {
    url: server.url,
    seqMs: P.seqMs,
    tputMs: P.tputMs,
    warmMs: P.warmMs,
    coldMs: mode === 'mem' ? P.memColdMs : kind.startsWith('go-') ? P.goColdMs : P.coldMs,
    inflight: INFLIGHT,
    floods: P.floods,
    subs: SUBS,
    serverPid: server.pid,
    clkTck,
    helloWasm: './.build/hello.wasm',
    ...over,
  };
  if (kind.startsWith('go-')) {
    return [
      gobench,
      [
        `-kind=${kind.slice(3)}`,
        `-mode=${mode}`,
        `-url=${cfg.url}`,
        `-seq=${cfg.seqMs}ms`,
        `-tput=${cfg.tputMs}ms`,
        `-warm=${cfg.warmMs}ms`,
        `-cold=${cfg.coldMs}ms`,
        `-inflight=${cfg.inflight}`,
        `-floods=${cfg.floods.map((f) => `${f.count}:${f.size}`).join(',')}`,
        `-subs=${cfg.subs}`,
        `-server-pid=${cfg.serverPid}`,
        `-clk-tck=${cfg.clkTck}`,
      ],
    ];
  }
  return [node, [...nodeFlags, path.join(benchDir, 'clients.mjs'), kind, mode, JSON.stringify(cfg)]];
}

const failures = [];
async function measure(server, kind, mode, over) {
  if (mode !== 'startup' && mode !== 'overhead') await server.settle();
  const busy = await quietGate();
  const [cmd, args] = clientCommand(kind, mode, server, over);
  const t = Date.now();
  const t0 = ticks();
  const s0 = pidTicks(server.pid);
  const r = await runProcess(cmd, args, 120000, kindEnv(kind));
  const foreign = foreignShare(t0, ticks(), s0, pidTicks(server.pid));
  if (r.ok) {
    r.result.background_busy = busy;
    r.result.foreign_busy = foreign;
    r.result.wall_ms = Date.now() - t;
  }
  if (process.env.BENCH_VERBOSE) {
    const p = (x) => (x == null ? '?' : `${Math.round(x * 100)}%`);
    process.stderr.write(`  ${kind} ${mode}: ${Date.now() - t} ms (machine busy before ${p(busy)}, others' share during ${p(foreign)})\n`);
  }
  if (!r.ok) {
    failures.push({ kind, mode, error: r.error });
    process.stderr.write(`  ${kind} ${mode}: FAILED ${r.error}\n`);
    return null;
  }
  return r.result;
}

// ------------------------------------------------------------ statistics

function median(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}
const get = (obj, p) => p.split('.').reduce((o, k) => (o == null ? undefined : o[k]), obj);

// ------------------------------------------------------------ main

async function main() {
  const started = Date.now();
  const server = await startServer();
  const log = (s) => process.stderr.write(`${s}\n`);
  log(`bench: server pid ${server.pid} at ${server.url}; kinds ${kinds.map((k) => k.id).join(', ')}; ${P.rounds} rounds${quick ? ' (quick)' : ''}`);
  const START_KINDS = ['hello', 'wasm', 'wasm-bare', 'peer', ...(before ? ['wasm' + BEFORE, 'wasm-bare' + BEFORE] : [])];
  const OVERHEAD_KINDS = ['js-floor', 'reference', 'reference-direct', 'minimal-link', ...wasmKinds].filter(
    (id) => (wasmUsable || !wasmKinds.has(id)) && (!process.env.BENCH_KINDS || kinds.some((k) => k.id === id || `${k.id}-direct` === id)),
  );
  const raw = { main: {}, mem: {}, overhead: Object.fromEntries(OVERHEAD_KINDS.map((k) => [k, []])), startup: Object.fromEntries(START_KINDS.map((k) => [k, []])) };
  for (const k of kinds) {
    raw.main[k.id] = [];
    raw.mem[k.id] = [];
  }
  try {
    // Warm-up pass (discarded): JIT the server's paths (single frames from
    // the floors, batched frames from the reference, subscriptions).
    log('bench: warm-up pass');
    const warmTput = quick ? 300 : 1000;
    for (const id of ['js-floor', 'reference', 'go-floor']) {
      if (kinds.some((k) => k.id === id)) {
        await measure(server, id, 'main', { coldMs: 300, seqMs: 100, tputMs: warmTput, warmMs: 50, floods: [{ count: 5000, size: 0 }, { count: 2000, size: 1024 }] });
      }
    }
    for (let r = 0; r < P.rounds; r++) {
      const order = roundOrder(kinds, r);
      log(`bench: round ${r + 1}/${P.rounds}: ${order.map((k) => k.id).join(' ')}`);
      for (const k of order) {
        const res = await measure(server, k.id, 'main');
        if (res) raw.main[k.id].push({ ...res, round: r });
      }
      if (wasmUsable) {
        for (let i = 0; i < P.startPerRound; i++) {
          for (const id of rotate(START_KINDS, r + i)) {
            const res = await measure(server, id, 'startup');
            if (res) raw.startup[id].push({ ...res, round: r });
          }
        }
      }
      if (r < P.overheadRounds) {
        log(`bench: round ${r + 1}: client-only CPU on a fake socket`);
        for (const id of rotate(OVERHEAD_KINDS, r)) {
          const res = await measure(server, id, 'overhead');
          if (res) raw.overhead[id].push({ ...res, round: r });
        }
      }
      if (r < P.memRounds) {
        log(`bench: round ${r + 1}: ${SUBS} live subscriptions per kind`);
        // quick: not the ws loop nor the Go floor (both need next to nothing)
        for (const k of order.filter((k) => !quick || (k.id !== 'js-floor-ws' && k.id !== 'go-floor'))) {
          const res = await measure(server, k.id, 'mem');
          if (res) raw.mem[k.id].push({ ...res, round: r });
        }
      }
    }
    // Re-run kinds that have too few clean runs, within a time budget.
    let retryBudget = Number(process.env.BENCH_RETRY_BUDGET_MS ?? (quick ? 0 : 45000));
    const need = needClean(P.rounds);
    for (let pass = 0; retryBudget > 0 && pass < 3; pass++) {
      const short = kinds.filter((k) => raw.main[k.id].filter(isClean).length < need);
      if (!short.length) break;
      log(`bench: re-running noisy kinds: ${short.map((k) => k.id).join(' ')}`);
      for (const k of short) {
        if (retryBudget <= 0 || !inTime(8000)) break;
        const t = Date.now();
        const res = await measure(server, k.id, 'main');
        if (res) raw.main[k.id].push(res);
        retryBudget -= Date.now() - t;
      }
    }
  } finally {
    server.stop();
  }

  // ---- medians
  const M = {};
  for (const k of kinds) {
    const all = raw.main[k.id];
    const clean = all.filter(isClean);
    const runs = clean.length >= needClean(P.rounds) ? clean : all;
    const mem = raw.mem[k.id];
    const med = (p, arr = runs) => median(arr.map((x) => get(x, p)));
    const floods = P.floods.map((f, i) => ({
      count: f.count,
      size: f.size,
      msgs_per_s: med(`floods.${i}.msgs_per_s`),
      cpu_us_per_msg: med(`floods.${i}.cpu_us_per_msg`),
      client_util: med(`floods.${i}.client_util`),
      server_util: med(`floods.${i}.server_util`),
    }));
    M[k.id] = {
      label: k.label,
      runs: runs.length,
      runs_all: all.length,
      runs_clean: clean.length,
      foreign_busy: median(all.map((x) => x.foreign_busy)),
      cold_us: med('cold.us_per_op'),
      cold_cpu_us: med('cold.cpu_us_per_op'),
      seq_us: med('seq.us_per_op'),
      seq_cpu_us: med('seq.cpu_us_per_op'),
      tput_qps: med('tput.qps'),
      tput_cpu_us: med('tput.cpu_us_per_op'),
      tput_client_util: med('tput.client_util'),
      tput_server_util: med('tput.server_util'),
      floods,
      mem_runs: mem.length,
      mem_rss_delta: med('mem.rss_delta', mem),
      mem_heap_delta: med('mem.heap_delta', mem),
      mem_live_ms: med('mem.live_ms', mem),
      init_ms: med('init_ms'),
      import_ms: med('import_ms'),
    };
  }
  const startup = {};
  for (const id of START_KINDS) {
    const s = raw.startup[id];
    startup[id] = { runs: s.length };
    for (const f of ['import_ms', 'read_ms', 'compile_ms', 'instantiate_ms', 'run_ms', 'init_ms', 'total_ms']) {
      startup[id][f] = median(s.map((x) => x[f]));
    }
  }
  const overhead = {};
  for (const id of OVERHEAD_KINDS) {
    const o = raw.overhead[id];
    overhead[id] = { runs: o.length };
    for (const f of ['seq_cpu_us', 'inflight_cpu_us', 'flood0_cpu_us', 'flood1024_cpu_us']) overhead[id][f] = median(o.map((x) => x[f]));
  }
  const sizes = {};
  for (const [name, file] of [['wasm', wasmPath], ['hello', helloPath], ...(before ? [['wasm' + BEFORE, path.join(before.dir, 'trpcws.wasm')]] : [])]) {
    if (!fs.existsSync(file)) continue;
    const rawSize = fs.statSync(file).size;
    const gz = Number(execFileSync('bash', ['-c', `gzip -9 -c "${file}" | wc -c`]).toString().trim());
    sizes[name] = { raw: rawSize, gzip9: gz };
  }

  // ---- ratios and targets
  const ratio = (a, b) => (a == null || b == null || b === 0 ? null : a / b);
  const r = {};
  const js = M['js-floor'];
  const ref = M.reference;
  const gof = M['go-floor'];
  const nat = M['go-native'];
  const ratios = [];
  const addRatio = (name, value, note = '') => {
    if (value == null) return;
    ratios.push({ name, value, note });
    r[name] = value;
  };
  for (const id of wasmKinds) {
    const w = M[id];
    if (!w) continue;
    addRatio(`${id} seq latency / JS floor`, ratio(w.seq_us, js?.seq_us));
    addRatio(`${id} throughput / JS floor`, ratio(w.tput_qps, js?.tput_qps));
    addRatio(`${id} CPU per query (100 in flight) / reference`, ratio(w.tput_cpu_us, ref?.tput_cpu_us));
    addRatio(`${id} CPU per query (sequential) / reference`, ratio(w.seq_cpu_us, ref?.seq_cpu_us));
    P.floods.forEach((f, i) => {
      addRatio(`${id} flood ${f.size} B msgs/s / reference`, ratio(w.floods[i].msgs_per_s, ref?.floods[i].msgs_per_s));
      addRatio(`${id} flood ${f.size} B CPU per msg / reference`, ratio(w.floods[i].cpu_us_per_msg, ref?.floods[i].cpu_us_per_msg));
    });
    addRatio(`${id} RSS for ${SUBS} subs / reference`, ratio(w.mem_rss_delta, ref?.mem_rss_delta));
  }
  // Against the limit for any link under createTRPCClient.
  const lim = M['minimal-link'];
  for (const id of ['wasm-link', ...(before ? ['wasm-link' + BEFORE] : [])]) {
    const wl = M[id];
    if (!lim || !wl) continue;
    addRatio(`${id} seq latency / minimal link`, ratio(wl.seq_us, lim.seq_us));
    addRatio(`${id} CPU per query (sequential) / minimal link`, ratio(wl.seq_cpu_us, lim.seq_cpu_us));
    addRatio(`${id} CPU per query (100 in flight) / minimal link`, ratio(wl.tput_cpu_us, lim.tput_cpu_us));
    addRatio(`${id} throughput / minimal link`, ratio(wl.tput_qps, lim.tput_qps));
    P.floods.forEach((f, i) => addRatio(`${id} flood ${f.size} B msgs/s / minimal link`, ratio(wl.floods[i].msgs_per_s, lim.floods[i].msgs_per_s)));
  }
  if (lim) addRatio('reference seq latency / minimal link', ratio(ref?.seq_us, lim.seq_us));
  addRatio('reference seq latency / JS floor', ratio(ref?.seq_us, js?.seq_us));
  addRatio('reference throughput / JS floor', ratio(ref?.tput_qps, js?.tput_qps));
  addRatio('native seq latency / Go floor', ratio(nat?.seq_us, gof?.seq_us));
  addRatio('native throughput / Go floor', ratio(nat?.tput_qps, gof?.tput_qps));
  addRatio('native CPU per query (100 in flight) / Go floor', ratio(nat?.tput_cpu_us, gof?.tput_cpu_us));
  P.floods.forEach((f, i) => addRatio(`native flood ${f.size} B msgs/s / Go floor`, ratio(nat?.floods[i].msgs_per_s, gof?.floods[i].msgs_per_s)));
  addRatio('wasm start-up (init) / bare Go wasm hello', ratio(startup.wasm.init_ms, startup.hello.init_ms));
  addRatio('trpcws.wasm loaded like hello / bare Go wasm hello', ratio(startup['wasm-bare'].init_ms, startup.hello.init_ms));
  if (before) {
    addRatio('before: wasm start-up (init) / bare Go wasm hello', ratio(startup['wasm' + BEFORE].init_ms, startup.hello.init_ms));
    addRatio('before: trpcws.wasm loaded like hello / bare Go wasm hello', ratio(startup['wasm-bare' + BEFORE].init_ms, startup.hello.init_ms));
  }
  for (const id of wasmKinds) addRatio(`${id} cold (first seconds) latency / JS floor cold`, ratio(M[id]?.cold_us, js?.cold_us));
  addRatio('wasm gzip / hello gzip', ratio(sizes.wasm?.gzip9, sizes.hello?.gzip9));
  const O = overhead;
  addRatio('fake socket: wasm-link CPU per query (100 in flight) / reference', ratio(O['wasm-link']?.inflight_cpu_us, O.reference?.inflight_cpu_us));
  addRatio('fake socket: wasm-direct CPU per query (100 in flight) / reference-direct', ratio(O['wasm-direct']?.inflight_cpu_us, O['reference-direct']?.inflight_cpu_us));
  addRatio('fake socket: wasm-link CPU per query (sequential) / minimal link', ratio(O['wasm-link']?.seq_cpu_us, O['minimal-link']?.seq_cpu_us));
  addRatio('fake socket: wasm-link CPU per query (100 in flight) / minimal link', ratio(O['wasm-link']?.inflight_cpu_us, O['minimal-link']?.inflight_cpu_us));
  addRatio('fake socket: wasm-link CPU per 0 B msg / minimal link', ratio(O['wasm-link']?.flood0_cpu_us, O['minimal-link']?.flood0_cpu_us));
  addRatio('fake socket: wasm-link CPU per 0 B msg / reference', ratio(O['wasm-link']?.flood0_cpu_us, O.reference?.flood0_cpu_us));
  addRatio('fake socket: wasm-link CPU per 1 KiB msg / reference', ratio(O['wasm-link']?.flood1024_cpu_us, O.reference?.flood1024_cpu_us));
  const beforeAfter = before ? compareBefore(raw, M, overhead, sizes) : null;

  const targets = [];
  const target = (name, value, op, limit, detail) => {
    const ok = value == null ? null : op === '<=' ? value <= limit : value >= limit;
    targets.push({ name, value, op, limit, status: ok == null ? 'N/A' : ok ? 'PASS' : 'MISS', detail });
  };
  const W = 'wasm-link';
  target('sequential latency: wasm ≤ 1.3× JS floor', r[`${W} seq latency / JS floor`], '<=', 1.3, 'through createTRPCClient');
  target('sequential latency: native ≤ 1.1× Go floor', r['native seq latency / Go floor'], '<=', 1.1);
  target('CPU per query: wasm ≤ 0.5× reference (100 in flight)', r[`${W} CPU per query (100 in flight) / reference`], '<=', 0.5);
  target('CPU per query: wasm ≤ 0.5× reference (sequential)', r[`${W} CPU per query (sequential) / reference`], '<=', 0.5);
  target('throughput (100 in flight): wasm ≥ 0.95× JS floor', r[`${W} throughput / JS floor`], '>=', 0.95);
  target('throughput (100 in flight): native ≥ 0.95× Go floor', r['native throughput / Go floor'], '>=', 0.95);
  P.floods.forEach((f) => target(`subscription delivery (flood ${f.size} B): wasm ≥ 1.5× reference`, r[`${W} flood ${f.size} B msgs/s / reference`], '>=', 1.5));
  const L = 'minimal link';
  target(`sequential latency: wasm ≤ 1.1× ${L}`, r[`${W} seq latency / ${L}`], '<=', 1.1, 'both through createTRPCClient');
  target(`CPU per query (sequential): wasm ≤ 1.05× ${L}`, r[`${W} CPU per query (sequential) / ${L}`], '<=', 1.05);
  target(`CPU per query (100 in flight): wasm ≤ 1.05× ${L}`, r[`${W} CPU per query (100 in flight) / ${L}`], '<=', 1.05);
  target(`throughput (100 in flight): wasm ≥ 0.95× ${L}`, r[`${W} throughput / ${L}`], '>=', 0.95);
  P.floods.forEach((f) => target(`subscription msgs/s (flood ${f.size} B): wasm ≥ 0.95× ${L}`, r[`${W} flood ${f.size} B msgs/s / ${L}`], '>=', 0.95));
  target('wasm size ≤ 850,000 bytes gzip -9', sizes.wasm?.gzip9 ?? null, '<=', 850000);
  target('start-up: wasm init ≤ 1.25× bare Go wasm hello', r['wasm start-up (init) / bare Go wasm hello'], '<=', 1.25);

  const result = {
    date: new Date().toISOString(),
    quick,
    seconds: Math.round((Date.now() - started) / 1000),
    host: {
      node: process.version,
      go: execFileSync('go', ['version']).toString().trim(),
      cpus: (await import('node:os')).cpus().length,
      loadavg: (await import('node:os')).loadavg(),
    },
    params: { ...P, subs: SUBS, inflight: INFLIGHT, echoInput: 1, clean: CLEAN },
    medians: M,
    overhead,
    startup,
    sizes,
    ratios,
    targets,
    before: before && { ...before, rows: beforeAfter },
    failures,
    notes,
    background_busy: { median: median(backgroundBusy), max: backgroundBusy.length ? Math.max(...backgroundBusy) : null, gate: GATE_BUSY },
    raw,
  };
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'bench.json'), JSON.stringify(result, null, 2) + '\n');
  const md = markdown(result);
  fs.writeFileSync(path.join(outDir, 'bench.md'), md);
  process.stdout.write(md);
  process.stdout.write(`\nwrote ${path.relative(root, path.join(outDir, 'bench.json'))} and ${path.relative(root, path.join(outDir, 'bench.md'))} (${result.seconds} s)\n`);
}

// ------------------------------------------------------------ before / after

/**
 * BENCH_BEFORE's rows: each metric of this checkout's wasm kinds beside the
 * same of the `-before` kinds, medians with the spread (min–max) of the runs
 * the medians use, after / before, and both against the reference and the
 * minimal link where the metric has one.
 */
function compareBefore(raw, M, overhead, sizes) {
  const used = (id) => {
    const all = raw.main[id] ?? [];
    const clean = all.filter(isClean);
    return clean.length >= needClean(P.rounds) ? clean : all;
  };
  const rows = [];
  // higher: whether a larger value is better (so that after/before > 1 is a gain)
  const row = (group, name, after, was, ref, lim, higher = false, paired = null) => {
    if (!after || !was) return;
    rows.push({ group, name, higher, after, before: was, ref: ref ?? null, lim: lim ?? null, paired });
  };
  // after / before of the two runs of the same round (run next to each other), for each round
  const pairs = (runsA, runsB, f) =>
    spread(runsA.map((a) => [f(a), f(runsB.find((b) => b.round != null && b.round === a.round) ?? {})]).map(([x, y]) => (x != null && y ? x / y : null)));
  const mainRuns = (id, p) => spread(used(id).map((x) => get(x, p)));
  const ref = (p) => median(used('reference').map((x) => get(x, p)));
  const lim = (p) => median(used('minimal-link').map((x) => get(x, p)));
  for (const id of ['wasm-link', 'wasm-direct']) {
    if (!M[id] || !M[id + BEFORE]) continue;
    const b = id + BEFORE;
    const L = id === 'wasm-link'; // the minimal link is the yardstick of a link under createTRPCClient
    for (const [p, name, higher] of [
      ['cold.us_per_op', 'cold µs/query (first seconds)'],
      ['seq.us_per_op', 'sequential latency µs/query'],
      ['seq.cpu_us_per_op', 'sequential CPU µs/query'],
      ['tput.qps', `${INFLIGHT} in flight queries/s`, true],
      ['tput.cpu_us_per_op', `CPU µs/query (${INFLIGHT} in flight)`],
      ...P.floods.flatMap((f, i) => [
        [`floods.${i}.msgs_per_s`, `flood ${f.size} B msgs/s`, true],
        [`floods.${i}.cpu_us_per_msg`, `flood ${f.size} B CPU µs/msg`],
      ]),
    ]) {
      row(id, name, mainRuns(id, p), mainRuns(b, p), ref(p), L ? lim(p) : null, higher, pairs(raw.main[id], raw.main[b], (x) => get(x, p)));
    }
    const MB = (k) => (raw.mem[k] ?? []).map((x) => x.mem?.rss_delta / 1048576);
    row(id, `RSS Δ ${fmt(SUBS)} subs MB`, spread(MB(id)), spread(MB(b)), median(MB('reference')), L ? median(MB('minimal-link')) : null, false,
      pairs(raw.mem[id] ?? [], raw.mem[b] ?? [], (x) => x.mem?.rss_delta));
    const O = (k, f) => spread((raw.overhead[k] ?? []).map((x) => x[f]));
    const oref = id === 'wasm-link' ? 'reference' : 'reference-direct';
    for (const [f, name] of [
      ['seq_cpu_us', 'fake socket: sequential CPU µs/query'],
      ['inflight_cpu_us', 'fake socket: CPU µs/query (100 in flight)'],
      ['flood0_cpu_us', 'fake socket: CPU µs/msg (0 B)'],
      ['flood1024_cpu_us', 'fake socket: CPU µs/msg (1 KiB)'],
    ]) {
      row(id, name, O(id, f), O(b, f), overhead[oref]?.[f], L ? overhead['minimal-link']?.[f] : null, false, pairs(raw.overhead[id] ?? [], raw.overhead[b] ?? [], (x) => x[f]));
    }
  }
  const S = (k, f) => spread((raw.startup[k] ?? []).map((x) => x[f]));
  const SP = (k, f) => pairs(raw.startup[k] ?? [], raw.startup[k + BEFORE] ?? [], (x) => x[f]);
  row('start-up (Node)', 'init() ms', S('wasm', 'init_ms'), S('wasm' + BEFORE, 'init_ms'), null, null, false, SP('wasm', 'init_ms'));
  for (const f of ['compile_ms', 'instantiate_ms', 'run_ms', 'init_ms']) {
    row('start-up (Node)', `module loaded by hand: ${f.replace('_ms', '')} ms`, S('wasm-bare', f), S('wasm-bare' + BEFORE, f), null, null, false, SP('wasm-bare', f));
  }
  const size = (k, f) => (sizes[k] ? spread([sizes[k][f]]) : null);
  row('size', 'trpcws.wasm bytes raw', size('wasm', 'raw'), size('wasm' + BEFORE, 'raw'));
  row('size', 'trpcws.wasm bytes gzip -9', size('wasm', 'gzip9'), size('wasm' + BEFORE, 'gzip9'));
  return rows;
}

// ------------------------------------------------------------ output

function fmt(x, digits = 0) {
  if (x == null) return '–';
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
const pct = (x) => (x == null || x < 0 ? '–' : `${Math.round(x * 100)}%`);

function markdown(res) {
  const { medians: M, startup, sizes, params } = res;
  const L = [];
  L.push(`### Benchmarks (${res.quick ? 'quick run, ' : ''}medians of ${params.rounds} interleaved rounds; memory: ${params.memRounds})`);
  L.push('');
  if (res.quick) {
    L.push('Quick run: short phases and only 1 s of warm-up, so the wasm client is not at its steady state yet (V8 tiers the Go code up over ~2 s). Use the full run for the targets.');
    L.push('');
  }
  L.push(
    `Node ${res.host.node}, ${res.host.go.replace('go version ', '')}, ${res.host.cpus} cores, load average ${res.host.loadavg.map((x) => x.toFixed(1)).join(' ')} at the end. ` +
      `One real @trpc/server 11.25.2 test server (testserver/server.mjs) for all clients, one client process at a time. ` +
      `Machine busy before each client process (others' work): median ${pct(res.background_busy.median)}, max ${pct(res.background_busy.max)}. ` +
      `Query: \`echo\` with input \`1\`; ${params.inflight} in flight; flood: \`flood\` subscription; memory: ${fmt(params.subs)} live \`events\` subscriptions (intervalMs 600000).`,
  );
  L.push('');
  const fl = params.floods;
  const head = [
    'client',
    `cold µs/query (first ${fmt(params.coldMs / 1000, 1)} s; Go ${fmt(params.goColdMs / 1000, 1)} s)`,
    'seq latency µs/query',
    'seq CPU µs/query',
    `${params.inflight} in flight queries/s`,
    `CPU µs/query (${params.inflight} in flight)`,
    ...fl.flatMap((f) => [`flood ${f.size} B msgs/s`, `CPU µs/msg (${f.size} B)`]),
    `RSS Δ ${fmt(params.subs)} subs MB`,
    'heap Δ MB',
  ];
  L.push(`| ${head.join(' | ')} |`);
  L.push(`|${head.map((_, i) => (i ? '---:' : '---')).join('|')}|`);
  for (const k of KINDS) {
    const m = M[k.id];
    if (!m) continue;
    const mb = (x) => (x == null ? '–' : (x / 1048576).toFixed(1));
    L.push(
      `| ${k.label} | ${fmt(m.cold_us)} | ${fmt(m.seq_us)} | ${fmt(m.seq_cpu_us)} | ${fmt(m.tput_qps)} | ${fmt(m.tput_cpu_us, 1)} | ${m.floods
        .map((f) => `${fmt(f.msgs_per_s)} | ${fmt(f.cpu_us_per_msg, 1)}`)
        .join(' | ')} | ${mb(m.mem_rss_delta)} | ${mb(m.mem_heap_delta)} |`,
    );
  }
  L.push('');
  L.push('Who is busy (median CPU utilisation of one core during the phase, client / server):');
  L.push('');
  L.push(`| client | ${params.inflight} in flight | ${fl.map((f) => `flood ${f.size} B`).join(' | ')} | runs used (clean / all) | others' CPU share during runs |`);
  L.push(`|---|---:|${fl.map(() => '---:').join('|')}|---:|---:|`);
  for (const k of KINDS) {
    const m = M[k.id];
    if (!m) continue;
    L.push(
      `| ${k.id} | ${pct(m.tput_client_util)} / ${pct(m.tput_server_util)} | ${m.floods.map((f) => `${pct(f.client_util)} / ${pct(f.server_util)}`).join(' | ')} | ` +
        `${m.runs} (${m.runs_clean} / ${m.runs_all}) | ${pct(m.foreign_busy)} |`,
    );
  }
  L.push('');
  L.push(
    `A run is clean when other processes used at most ${pct(CLEAN)} of all CPUs while it ran; the medians above use the clean runs when there are at least ${needClean(params.rounds)}, else all runs.`,
  );
  L.push('');
  const O = res.overhead;
  if (Object.values(O).some((o) => o.runs)) {
    L.push(
      `Client-only CPU per operation: the same clients on an in-process fake WebSocket that answers by itself (no network, no server; ` +
        `medians of ${params.overheadRounds}). \`-direct\` rows call \`client.request()\` without \`createTRPCClient\`, ` +
        `so the difference between a row and its \`-direct\` row is what @trpc/client's \`createTRPCClient\` layer costs.`,
    );
    L.push('');
    L.push('| client | sequential CPU µs/query | 100 in flight CPU µs/query | flood 0 B CPU µs/msg | flood 1024 B CPU µs/msg |');
    L.push('|---|---:|---:|---:|---:|');
    for (const [id, o] of Object.entries(O)) {
      if (!o.runs) continue;
      L.push(`| ${id} | ${fmt(o.seq_cpu_us, 1)} | ${fmt(o.inflight_cpu_us, 1)} | ${fmt(o.flood0_cpu_us, 1)} | ${fmt(o.flood1024_cpu_us, 1)} |`);
    }
    L.push('');
  }
  if (startup.wasm.runs || startup.hello.runs) {
    const S = startup;
    L.push(
      `Start-up in a fresh Node process, median of ${S.wasm.runs}: wasm client \`init()\` ${fmt(S.wasm.init_ms, 1)} ms ` +
        `(+ ${fmt(S.wasm.import_ms, 1)} ms to import web/index.js); bare Go wasm hello ${fmt(S.hello.init_ms, 1)} ms ` +
        `(read ${fmt(S.hello.read_ms, 1)} + compile ${fmt(S.hello.compile_ms, 1)} + instantiate ${fmt(S.hello.instantiate_ms, 1)} + run ${fmt(S.hello.run_ms, 1)}). ` +
        `Where init() goes: web/trpcws.wasm loaded by hand like hello ${fmt(S['wasm-bare'].init_ms, 1)} ms ` +
        `(read ${fmt(S['wasm-bare'].read_ms, 1)} + compile ${fmt(S['wasm-bare'].compile_ms, 1)} + instantiate ${fmt(S['wasm-bare'].instantiate_ms, 1)} + run ${fmt(S['wasm-bare'].run_ms, 1)}); ` +
        `init() also awaits import('@trpc/client'), alone ${fmt(S.peer.init_ms, 1)} ms.`,
    );
    L.push('');
  }
  if (startup['wasm' + BEFORE]?.runs) {
    const S = startup;
    const B = S['wasm-bare' + BEFORE];
    L.push(
      `Before (${res.before.label}), same rounds: \`init()\` ${fmt(S['wasm' + BEFORE].init_ms, 1)} ms; its module loaded by hand ${fmt(B.init_ms, 1)} ms ` +
        `(read ${fmt(B.read_ms, 1)} + compile ${fmt(B.compile_ms, 1)} + instantiate ${fmt(B.instantiate_ms, 1)} + run ${fmt(B.run_ms, 1)}).`,
    );
    L.push('');
  }
  if (sizes.wasm) {
    L.push(`Size: web/trpcws.wasm ${fmt(sizes.wasm.raw)} bytes raw, ${fmt(sizes.wasm.gzip9)} bytes gzip -9; hello ${fmt(sizes.hello?.raw)} raw, ${fmt(sizes.hello?.gzip9)} gzip -9.`);
    L.push('');
  }
  if (res.before?.rows?.length) {
    L.push(`Before / after in this run: \`-before\` rows load ${res.before.dir} (${res.before.label}); spread over the runs each median uses.`);
    L.push('');
    L.push(...beforeAfterMarkdown(res.before.rows, res.before.label, (v) => fmt(v, Math.abs(v) < 100 ? 1 : 0)));
    L.push('');
  }
  L.push('Ratios:');
  L.push('');
  for (const x of res.ratios) L.push(`- ${x.name}: ${x.value.toFixed(2)}×`);
  L.push('');
  L.push('Targets:');
  L.push('');
  L.push('| target | measured | status |');
  L.push('|---|---:|---|');
  for (const t of res.targets) {
    const v = t.value == null ? '–' : t.name.startsWith('wasm size') ? fmt(t.value) : `${t.value.toFixed(2)}×`;
    L.push(`| ${t.name} | ${v} | ${t.status} |`);
  }
  const jf = M['js-floor'];
  const busyFloods = (jf?.floods ?? []).filter((f) => f.server_util != null && f.server_util >= 0.85);
  if (busyFloods.length) {
    L.push('');
    L.push(
      `Note: the \`flood\` subscription is server-bound: with the JS floor as client the server process used ` +
        `${busyFloods.map((f) => `${pct(f.server_util)} (${f.size} B)`).join(', ')} of a core, the client ` +
        `${busyFloods.map((f) => `${pct(f.client_util)}`).join(', ')}. Its msgs/s measure the server; CPU µs/msg measure the client.`,
    );
  }
  if (res.failures.length || res.notes.length) {
    L.push('');
    for (const n of res.notes) L.push(`Note: ${n}`);
    for (const f of res.failures) L.push(`Failed: ${f.kind} ${f.mode}: ${f.error}`);
  }
  return L.join('\n') + '\n';
}

main().catch((err) => {
  process.stderr.write(`bench: ${err?.stack ?? err}\n`);
  process.exit(1);
});
