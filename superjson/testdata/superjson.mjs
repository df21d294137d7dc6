// The real superjson for superjson's Go tests (node_test.go): reads one
// JSON request on stdin and writes one JSON answer on stdout.
//   {"serialize": [expr…]}   → [superjson.stringify(eval(expr))…]
//   {"deserialize": [text…]} → [describe(superjson.parse(text))…]
// superjson is loaded from the directory given as argv[2] (testserver's
// node_modules), at the version testserver/package.json pins.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe } from '../../testserver/describe.mjs';

const dir = process.argv[2];
const mod = await import(pathToFileURL(path.join(dir, 'superjson', 'dist', 'index.js')).href);
const SuperJSON = mod.default;
globalThis.SuperJSON = SuperJSON;
const version = (await import(pathToFileURL(path.join(dir, 'superjson', 'package.json')).href, { with: { type: 'json' } })).default.version;


let input = '';
for await (const chunk of process.stdin) input += chunk;
const req = JSON.parse(input);
const out = { version };
if (req.serialize) out.serialize = req.serialize.map((e) => SuperJSON.stringify(new Function(`return (${e});`)()));
if (req.deserialize) out.deserialize = req.deserialize.map((t) => describe(SuperJSON.parse(t)));
process.stdout.write(JSON.stringify(out));
