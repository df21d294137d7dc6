// describe: a value as text that tells its JavaScript types apart (a Date
// from its ISO string, a bigint from a number, a Map from an object,
// undefined from null), for tests that check which values superjson
// carried: the test server's describeInput procedure and the Go superjson
// tests' Node helper (superjson/testdata/superjson.mjs).

/** A value as text that tells its JavaScript types apart. */
export function describe(v) {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'boolean') return String(v);
  if (v instanceof Date) return `Date(${v.toISOString()})`;
  if (v instanceof Map) return `Map{${[...v].map(([k, x]) => `${describe(k)}=>${describe(x)}`).join(',')}}`;
  if (v instanceof Set) return `Set{${[...v].map(describe).join(',')}}`;
  if (Array.isArray(v)) return `[${v.map(describe).join(',')}]`;
  return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${describe(x)}`).join(',')}}`;
}
