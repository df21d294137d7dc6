// Shared by every browser bench page: after the first answer, warm-up queries, then timed
// sequential queries; everything ends up in window.__bench for bench/browser.mjs.
export const params = new URLSearchParams(location.search);
export const wsUrl = params.get('ws');

/** query: () => Promise of the echo answer. Records the first answer, then the warm loop. */
export async function run(query) {
  const b = (window.__bench = window.__bench ?? {});
  try {
    const first = await query();
    b.firstMs = performance.now();
    if (first !== 1) throw new Error(`echo answered ${JSON.stringify(first)}`);
    b.bytes = transferred();
    const warm = Number(params.get('warm') ?? 3000);
    const n = Number(params.get('n') ?? 2000);
    for (let i = 0; i < warm; i++) await query();
    const t = performance.now();
    for (let i = 0; i < n; i++) await query();
    b.seqUs = ((performance.now() - t) * 1000) / n;
    b.bytesAll = transferred(); // by now the module has arrived too
    b.done = true;
  } catch (err) {
    b.error = String(err?.stack ?? err);
  }
}

/** Bytes the page has downloaded so far: on the wire (compressed) and decoded. */
function transferred() {
  const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
  const out = { wire: 0, encoded: 0, decoded: 0, files: [] };
  for (const e of entries) {
    out.wire += e.transferSize;
    out.encoded += e.encodedBodySize;
    out.decoded += e.decodedBodySize;
    out.files.push([new URL(e.name).pathname, e.transferSize, e.decodedBodySize]);
  }
  return out;
}
