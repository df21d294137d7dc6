// Checks the versions in the support tables (README.md "Support", docs/js.md "Tested runtimes")
// against the versions e2e/run.sh read from the tools it ran (artifacts/e2e-versions.json), or
// writes them in (--write).
//   - Versions fixed by a lock file or go.mod (npm deno, bun, workerd, wrangler, node@22, the
//     bundlers): a table that disagrees fails: update it with --write.
//   - Versions that come from the machine (Debian's chromium, firefox-esr, WebKitGTK; the system
//     node; the Go toolchain): a difference is printed as a note, not a failure, since a fresh CI
//     machine gets the archive's current package.
// The version cell of a row is its second; its first versions (1.2, 1.2.3, 153.8.0esr …) are
// those of the row's keys, in order.
// usage: node e2e/support-table.mjs artifacts/e2e-versions.json [--write]
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const MACHINE = new Set(['chromium', 'firefox', 'webkitgtk', 'node', 'go']);
const TABLES = {
  'README.md': {
    'Node 20': ['node'],
    'Node 22': ['node22'],
    Chromium: ['chromium'],
    'Firefox ESR': ['firefox'],
    "WebKitGTK (Safari's engine)": ['webkitgtk'],
    Deno: ['deno'],
    Bun: ['bun'],
    'Cloudflare workerd': ['workerd'],
    'Cloudflare Workers via wrangler': ['wrangler', 'workerd'],
    Go: ['go'],
    Vite: ['vite'],
    webpack: ['webpack'],
    esbuild: ['esbuild'],
    'Next.js': ['next'],
  },
  'docs/js.md': {
    Chromium: ['chromium'],
    'Firefox ESR': ['firefox'],
    WebKitGTK: ['webkitgtk'],
    Deno: ['deno'],
    Bun: ['bun'],
    workerd: ['workerd'],
    'Workers (wrangler)': ['wrangler'],
    'Node 20, Node 22': ['node', 'node22'],
    'Vite 8 + React 19': ['vite', 'react', 'react-query', 'trpc-react-query'],
    'webpack 5': ['webpack'],
    esbuild: ['esbuild'],
    'Next.js 16': ['next'],
  },
};
const VERSION = /\d+\.\d+(?:\.\d+)*(?:[a-z]+\d*)?/g;

const [file, ...flags] = process.argv.slice(2);
if (!file) {
  console.error('usage: node e2e/support-table.mjs artifacts/e2e-versions.json [--write]');
  process.exit(2);
}
const write = flags.includes('--write');
const run = JSON.parse(fs.readFileSync(file, 'utf8'));
const failures = [];
const notes = [];
const changes = []; // lock-file versions that differ

for (const [doc, rows] of Object.entries(TABLES)) {
  const p = path.join(ROOT, doc);
  const lines = fs.readFileSync(p, 'utf8').split('\n');
  const seen = new Set();
  for (let i = 0; i < lines.length; i++) {
    const cells = lines[i].split('|');
    // | label | version | … → ['', ' label ', ' version ', …, '']
    if (cells.length < 4 || cells[0] !== '') continue;
    const label = cells[1].trim();
    const keys = rows[label];
    if (!keys || seen.has(label)) continue;
    seen.add(label);
    let k = 0;
    cells[2] = cells[2].replace(VERSION, (v) => {
      const key = keys[k++];
      if (!key) return v;
      const want = run[key];
      if (!want) {
        failures.push(`${doc} "${label}": e2e/run.sh read no version for ${key}`);
        return v;
      }
      if (v !== want) {
        const msg = `${doc} "${label}": says ${key} ${v}, this run tested ${want}`;
        (MACHINE.has(key) ? notes : changes).push(msg);
      }
      return want;
    });
    if (k < keys.length) failures.push(`${doc} "${label}": the version cell names ${k} versions, want ${keys.length} (${keys.join(', ')})`);
    lines[i] = cells.join('|');
  }
  for (const label of Object.keys(rows)) if (!seen.has(label)) failures.push(`${doc}: no table row "${label}"`);
  if (write) fs.writeFileSync(p, lines.join('\n'));
}

const versions = Object.entries(run).map(([k, v]) => `${k} ${v}`).join(', ');
console.log(`versions this run: ${versions}`);
for (const n of notes) console.log(`note: ${n}${write ? ' (written)' : ' (from the machine: not a failure; --write updates it)'}`);
for (const c of changes) console.log(`${write ? 'written' : 'FAIL'}: ${c}`);
for (const f of failures) console.error(`FAIL: ${f}`);
if (failures.length || (!write && changes.length)) {
  if (changes.length) console.error(`update the tables: node e2e/support-table.mjs ${file} --write`);
  process.exit(1);
}
if (write) {
  console.log(`written: ${Object.keys(TABLES).join(', ')}`);
} else {
  console.log('the support tables agree with this run (lock-file versions)');
}
