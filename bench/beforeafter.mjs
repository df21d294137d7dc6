// Before and after in one run (BENCH_BEFORE, see run.mjs and browser.mjs): the
// spread of a metric's runs and the Markdown table both drivers print.

/** Median, min, max and count of the finite numbers in xs; null when there are none. */
export function spread(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const m = v.length >> 1;
  return { median: v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2, min: v[0], max: v[v.length - 1], n: v.length };
}

/**
 * rows: {group, name, higher, after, before, ref, lim, paired} with after and
 * before from spread(); ref and lim the reference's and the minimal link's
 * medians (null when the metric has none); paired (or null): spread() of the
 * after / before ratios of the two runs in the same round, which a drift of a
 * shared machine's load disturbs less than the ratio of the medians. fmtv
 * formats one value.
 */
export function beforeAfterMarkdown(rows, label, fmtv) {
  const sp = (s) => (s.n > 1 ? `${fmtv(s.median)} (${fmtv(s.min)}–${fmtv(s.max)})` : fmtv(s.median));
  const x = (a, b) => (a == null || b == null || b === 0 ? '–' : `${(a / b).toFixed(2)}×`);
  const pr = (p) => (!p ? '–' : p.n > 1 ? `${p.median.toFixed(2)}× (${p.min.toFixed(2)}–${p.max.toFixed(2)}, ${p.n})` : `${p.median.toFixed(2)}×`);
  const L = [
    `| kind | measure | after: median (min–max) | before (${label}) | after / before | per-round after / before: median (min–max, rounds) | after / reference | before / reference | after / minimal link | before / minimal link |`,
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    L.push(
      `| ${r.group} | ${r.name}${r.higher ? ' (higher is better)' : ''} | ${sp(r.after)} | ${sp(r.before)} | ${x(r.after.median, r.before.median)} | ${pr(r.paired)} | ` +
        `${x(r.after.median, r.ref)} | ${x(r.before.median, r.ref)} | ${x(r.after.median, r.lim)} | ${x(r.before.median, r.lim)} |`,
    );
  }
  return L;
}

/** The suffix of a kind measured with the other web package (BENCH_BEFORE). */
export const BEFORE = '-before';

/** arr rotated left by n places. */
export const rotate = (arr, n) => arr.map((_, i) => arr[(i + n) % arr.length]);

/**
 * Round r's order of the kinds (objects with an id): a kind and its `-before`
 * twin stay next to each other as one unit, the units rotate, and the twins
 * swap places every other round. A kind measured right after another shares
 * the server's (and the browser's) state with it: its garbage, its JIT. With a
 * fixed after-then-before order, such a position effect showed as a
 * before/after difference in every round (0.86× with 100 queries in flight in
 * Node), which alternating the twins cancels out.
 */
export function roundOrder(list, r) {
  const units = [];
  for (const k of list) {
    const twin = units.find((u) => u[0].id + BEFORE === k.id);
    if (twin) twin.push(k);
    else units.push([k]);
  }
  return rotate(units, r).flatMap((u) => (r % 2 === 1 ? [...u].reverse() : u));
}
