// Tiny assertion and waiting helpers shared by every e2e script (Node, Deno, Bun: no node: imports).

export class CheckError extends Error {}

export function check(cond, what) {
  if (!cond) throw new CheckError(`check failed: ${what}`);
}

// Deep equality through JSON (the values compared here are plain JSON data).
export function checkEqual(got, want, what) {
  const g = JSON.stringify(got), w = JSON.stringify(want);
  if (g !== w) throw new CheckError(`${what}: got ${g}, want ${w}`);
}

// Checks that ids are exactly "from".."to" (tracked event ids), so a gap or a duplicate fails.
export function checkContiguous(ids, from, to, what) {
  const want = [];
  for (let i = from; i <= to; i++) want.push(String(i));
  checkEqual(ids, want, `${what} (must be ${from}..${to}, no gaps, no duplicates)`);
}

// Polls cond() (sync or async) until it returns a truthy value, which it returns.
export async function waitFor(cond, what, timeoutMs = 10000, everyMs = 50) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await cond();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new CheckError(`timed out after ${timeoutMs} ms waiting for ${what}` +
        (last instanceof Error ? ` (last error: ${last.message})` : ''));
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

// Rejects when p has not settled within ms.
export function within(p, ms, what) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new CheckError(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

// GET a test server control (/control/<name>) and return its JSON.
export async function control(base, name) {
  const res = await fetch(`${base}/control/${name}`);
  if (!res.ok) throw new CheckError(`/control/${name}: HTTP ${res.status}`);
  return res.json();
}
