// A paired probe of how long Chromium takes to compile a .wasm: for two or more modules,
// each round loads each in a fresh browser (no code cache, no module cache), in an order
// that alternates between rounds (ABBA), and reports per module the median time of
//   stream   WebAssembly.compileStreaming(fetch(url)) over loopback, brotli 11 as served
//   buffer   WebAssembly.compile(bytes) on the same bytes already in memory (a custom
//            section with a nonce appended, so the engine cannot reuse the first compile)
// and each module's ratio to the first one, per round. Start-up figures for whole pages are
// in browser.mjs; this isolates the compile, for comparing builds of one module:
//
//   node bench/compileprobe.mjs [--rounds N] a.wasm b.wasm ...
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';
import { startStatic } from '../e2e/lib/static-server.mjs';

const args = process.argv.slice(2);
let rounds = 10;
if (args[0] === '--rounds') { rounds = Number(args[1]); args.splice(0, 2); }
if (args.length < 2 || !(rounds > 0)) {
  console.error('usage: node bench/compileprobe.mjs [--rounds N] a.wasm b.wasm ...');
  process.exit(2);
}
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'compileprobe-'));
const mods = args.map((file, i) => {
  const name = `m${i}.wasm`;
  const data = fs.readFileSync(file);
  fs.writeFileSync(path.join(dir, name), data);
  const br = zlib.brotliCompressSync(data, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_LGWIN]: 24 } });
  fs.writeFileSync(path.join(dir, name + '.br'), br);
  return { file, name, raw: data.length, br: br.length, stream: [], buffer: [] };
});
fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>probe</title>');
const statics = await startStatic(dir);

const median = (v) => { const s = [...v].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

async function measure(m) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  try {
    const page = await browser.newPage();
    await page.goto(statics.url + '/index.html');
    return await page.evaluate(async (url) => {
      let t = performance.now();
      await WebAssembly.compileStreaming(fetch(url));
      const stream = performance.now() - t;
      const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
      const nonce = String(Math.random());
      const buf = new Uint8Array(bytes.length + 4 + nonce.length);
      buf.set(bytes);
      buf.set([0, 2 + nonce.length, 1, 110], bytes.length); // custom section "n", then the nonce
      for (let i = 0; i < nonce.length; i++) buf[bytes.length + 4 + i] = nonce.charCodeAt(i);
      t = performance.now();
      await WebAssembly.compile(buf);
      return { stream, buffer: performance.now() - t };
    }, statics.url + '/' + m.name);
  } finally {
    await browser.close();
  }
}

const ratios = mods.map(() => ({ stream: [], buffer: [] }));
await measure(mods[0]); // warm-up: the OS file cache, the browser's first start
for (let r = 0; r < rounds; r++) {
  const order = r % 2 ? [...mods].reverse() : mods;
  const got = new Map();
  for (const m of order) {
    const x = await measure(m);
    m.stream.push(x.stream); m.buffer.push(x.buffer);
    got.set(m, x);
  }
  mods.forEach((m, i) => { for (const k of ['stream', 'buffer']) ratios[i][k].push(got.get(m)[k] / got.get(mods[0])[k]); });
  process.stderr.write(`round ${r + 1}/${rounds}\n`);
}
await statics.close();
fs.rmSync(dir, { recursive: true, force: true });
console.log(`Chromium compile, ${rounds} rounds, a fresh browser per load (median ms; ratio to the first module: median of per-round ratios, min–max)`);
console.log('| module | raw B | brotli B | stream ms | ratio | buffer ms | ratio |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
mods.forEach((m, i) => {
  const q = (v) => `${median(v).toFixed(2)}× (${Math.min(...v).toFixed(2)}–${Math.max(...v).toFixed(2)})`;
  console.log(`| ${m.file} | ${m.raw} | ${m.br} | ${median(m.stream).toFixed(1)} | ${q(ratios[i].stream)} | ${median(m.buffer).toFixed(1)} | ${q(ratios[i].buffer)} |`);
});
