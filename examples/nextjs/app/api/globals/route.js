// For the end-to-end test (e2e/nextjs.mjs): the global names of the server process, to check that
// rendering the page, which imports trpcws, adds none. ?import=1 also imports trpcws here and
// reports the names it added.
export const dynamic = 'force-dynamic';

const keys = () => Reflect.ownKeys(globalThis).map(String);

export async function GET(request) {
  const before = keys();
  let added = null;
  if (new URL(request.url).searchParams.get('import') === '1') {
    const trpcws = await import('trpcws');
    if (typeof trpcws.createTRPCWebSocket !== 'function') throw new Error('trpcws did not load');
    added = keys().filter((k) => !before.includes(k));
  }
  return Response.json({ keys: before, added, fs: 'fs' in globalThis, path: 'path' in globalThis, Go: 'Go' in globalThis });
}
