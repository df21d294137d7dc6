// The JavaScript an app pays for (make test-size): the same app, createTRPCClient
// with one query and one subscription (web/test/bundle/), bundled by esbuild
// (--bundle --minify, ESM) once with @trpc/client's own wsLink and once with
// trpcws's, side by side. Prints both sizes (minified, and gzip -9 for
// information) and fails when ours is over BUNDLE_RATIO_BUDGET (2.2) times the
// reference's, minified. The .wasm is fetched at run time and not counted.
//
//   node web/test/bundle-size.mjs
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const budget = Number(process.env.BUNDLE_RATIO_BUDGET ?? 2.2);
if (!(budget > 0)) {
  console.error(`bundle size: BUNDLE_RATIO_BUDGET must be a positive number, got ${process.env.BUNDLE_RATIO_BUDGET}`);
  process.exit(2);
}

let esbuild;
try {
  esbuild = await import('esbuild');
} catch (err) {
  console.error(`bundle size: esbuild is not installed in web/node_modules (npm ci in web/, or make deps): ${err.message}`);
  process.exit(1);
}

async function bundle(name) {
  const entry = fileURLToPath(new URL(`./bundle/${name}.js`, import.meta.url));
  const out = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    logLevel: 'warning',
  });
  if (out.outputFiles.length !== 1) throw new Error(`${name}: esbuild wrote ${out.outputFiles.length} files, expected 1`);
  const code = out.outputFiles[0].contents;
  return { name, raw: code.length, gzip: gzipSync(code, { level: 9 }).length };
}

const [ref, ours] = await Promise.all([bundle('reference-app'), bundle('trpcws-app')]);
const ratio = ours.raw / ref.raw;
const fmt = (n) => n.toLocaleString('en-US');
console.log(`JS bundle (esbuild ${esbuild.version}, --bundle --minify, ESM): createTRPCClient + wsLink app`);
console.log(`  @trpc/client wsLink: ${fmt(ref.raw)} bytes minified, ${fmt(ref.gzip)} gzip -9`);
console.log(`  trpcws wsLink:       ${fmt(ours.raw)} bytes minified, ${fmt(ours.gzip)} gzip -9`);
console.log(`  ratio: ${ratio.toFixed(2)}x minified (budget ${budget}x), ${(ours.gzip / ref.gzip).toFixed(2)}x gzip`);
if (ratio > budget) {
  console.error(`bundle size: the trpcws app is ${ratio.toFixed(2)}x the reference app, over the ${budget}x budget`);
  process.exit(1);
}
