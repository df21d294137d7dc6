// A static file server that serves the way README's "Serving the wasm" asks: the right
// Content-Type (application/wasm), a precompressed NAME.br / NAME.gz beside a file when the
// client accepts that encoding (Vary: Accept-Encoding), and long-lived immutable caching for
// content-hashed names (assets/, or a name with a -<hash>. part). With compress: true, other
// text and wasm files are brotli-compressed once (quality 11) and kept in memory, as a CDN would.
//
//   import { startStatic } from './static-server.mjs';
//   const s = await startStatic(dir, { compress: true }); // s.url, s.requests, await s.close()
//   node e2e/lib/static-server.mjs DIR [--port N] [--compress]   (prints LISTENING <port>)
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.map', '.wasm', '.svg', '.txt']);
const HASHED = /(^|\/)assets\/|[-.][A-Za-z0-9_-]{8,}\.(js|mjs|css|wasm)$/;

export function startStatic(root, { port = 0, host = '127.0.0.1', compress = false } = {}) {
  root = path.resolve(root);
  const cache = new Map(); // file → {mtimeMs, br}
  const requests = [];

  function brotli(file, st) {
    const hit = cache.get(file);
    if (hit && hit.mtimeMs === st.mtimeMs) return hit.br;
    const data = fs.readFileSync(file);
    const br = zlib.brotliCompressSync(data, {
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length },
    });
    cache.set(file, { mtimeMs: st.mtimeMs, br });
    return br;
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let rel;
    try {
      rel = decodeURIComponent(url.pathname);
    } catch {
      return res.writeHead(400).end('bad path');
    }
    if (rel.endsWith('/')) rel += 'index.html';
    const file = path.resolve(root, '.' + path.posix.normalize('/' + rel));
    if (!file.startsWith(root + path.sep)) return res.writeHead(403).end('forbidden');
    let st;
    try {
      st = fs.statSync(file);
    } catch {
      st = null;
    }
    if (!st?.isFile()) {
      requests.push({ path: url.pathname, status: 404 });
      return res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    }
    const ext = path.extname(file).toLowerCase();
    const accept = String(req.headers['accept-encoding'] ?? '');
    const headers = {
      'Content-Type': TYPES[ext] ?? 'application/octet-stream',
      'Cache-Control': HASHED.test(rel) ? 'public, max-age=31536000, immutable' : 'no-cache',
      Vary: 'Accept-Encoding',
      'Access-Control-Allow-Origin': '*',
    };
    let body = null;
    let bodyFile = file;
    let encoding = null;
    if (/\bbr\b/.test(accept) && fs.existsSync(file + '.br')) {
      bodyFile = file + '.br';
      encoding = 'br';
    } else if (/\bgzip\b/.test(accept) && fs.existsSync(file + '.gz')) {
      bodyFile = file + '.gz';
      encoding = 'gzip';
    } else if (compress && /\bbr\b/.test(accept) && COMPRESSIBLE.has(ext)) {
      body = brotli(file, st);
      encoding = 'br';
    }
    if (encoding) headers['Content-Encoding'] = encoding;
    const size = body ? body.length : fs.statSync(bodyFile).size;
    headers['Content-Length'] = size;
    requests.push({ path: url.pathname, status: 200, encoding, bytes: size });
    res.writeHead(200, headers);
    if (req.method === 'HEAD') return res.end();
    if (body) return res.end(body);
    fs.createReadStream(bodyFile).pipe(res);
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const p = server.address().port;
      resolve({
        port: p,
        url: `http://${host}:${p}`,
        requests,
        close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
      });
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const dir = args.find((a) => !a.startsWith('--'));
  const i = args.indexOf('--port');
  const s = await startStatic(dir ?? '.', { port: i >= 0 ? Number(args[i + 1]) : 0, compress: args.includes('--compress') });
  process.stdout.write(`LISTENING ${s.port}\n`);
}
