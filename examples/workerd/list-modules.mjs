// Prints the `modules = [...]` entries config.capnp needs for worker.mjs and what it imports,
// found by following the static imports (and literal dynamic imports) through ./node_modules.
//
// workerd reads no node_modules and resolves every specifier, bare ones included, as a path
// relative to the importing module: "@trpc/server/observable" imported by
// "node_modules/@trpc/client/dist/index.mjs" is looked up as the module
// "node_modules/@trpc/client/dist/@trpc/server/observable". So each file is listed under its
// own path, and each bare import gets a one-line module at that relative name re-exporting the
// real entry file ("/node_modules/..." is absolute: from the bundle root).
//
// Rerun it after changing versions (@trpc's chunk file names change with every release):
//   node list-modules.mjs [worker.mjs]      (from the directory holding node_modules)
import fs from 'node:fs';
import path from 'node:path';

const root = process.cwd();
const files = new Map(); // module path (relative to root) -> 'esModule' | 'wasm'
const aliases = new Map(); // module name of a bare import -> the file it stands for
const relative = new Set(); // files imported by a relative path too (trpcws's workerd.js imports ./trpcws.wasm)

function resolveBare(spec) {
  const parts = spec.split('/');
  const pkgName = spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  const dir = path.posix.join('node_modules', pkgName);
  const pkg = JSON.parse(fs.readFileSync(path.join(root, dir, 'package.json'), 'utf8'));
  const sub = '.' + spec.slice(pkgName.length);
  let target = pkg.exports?.[sub] ?? (sub === '.' ? (pkg.module ?? pkg.main) : undefined);
  while (target && typeof target === 'object') target = target.workerd ?? target.import ?? target.default;
  if (typeof target !== 'string') throw new Error(`cannot resolve ${spec}`);
  return path.posix.join(dir, target);
}

function walk(file) {
  if (files.has(file)) return;
  files.set(file, file.endsWith('.wasm') ? 'wasm' : 'esModule');
  if (file.endsWith('.wasm')) return;
  const src = fs.readFileSync(path.join(root, file), 'utf8');
  // import ... from "x", export ... from "x", import "x", import("x")
  const re = /(?:^|[\s;])(?:import|export)\s*(?:[\w*{}\s,$]+from\s*)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;
  for (const m of src.matchAll(re)) {
    const spec = m[1] ?? m[2];
    if (spec.startsWith('node:')) continue;
    if (spec.startsWith('.')) {
      const target = path.posix.join(path.posix.dirname(file), spec);
      if (fs.existsSync(path.join(root, target))) {
        relative.add(target);
        walk(target);
      }
      continue;
    }
    let entry;
    try {
      entry = resolveBare(spec);
    } catch {
      continue; // an optional peer that is not installed
    }
    aliases.set(path.posix.join(path.posix.dirname(file), spec), entry);
    walk(entry);
  }
}

const main = process.argv[2] ?? 'worker.mjs';
walk(main);
const line = (name, kind, source) => `    (name = "${name}", ${kind} = ${source}),`;
const out = [];
for (const [name, file] of [...aliases].sort()) {
  if (files.get(file) === 'wasm') {
    out.push(line(name, 'wasm', `embed "${file}"`));
    if (!relative.has(file)) files.delete(file); // imported by its alias only
  } else {
    out.push(line(name, 'esModule', `"export * from '/${file}';"`));
  }
}
files.delete(main);
for (const [file, kind] of [...files].sort()) out.push(line(file, kind, `embed "${file}"`));
// The main module comes first: workerd runs the first module of the list.
console.log([line(main, 'esModule', `embed "${main}"`), ...out].join('\n'));
