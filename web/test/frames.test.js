// What the user sees of a server frame must not depend on the frame's
// length (issue 9: a JavaScript fast path once parsed long frames itself and
// altered numeric event ids). Random server frames (numeric and string ids,
// unicode, nesting, malformed ones) go to one client as they are and to
// another padded past any length threshold; both must deliver the same
// thing, and that thing must be what JSON.parse of the frame says.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTRPCWebSocket } from '../index.js';
import { waitFor } from './helpers.js';

/** A WebSocket whose server is the test: it answers nothing, frames are pushed by push(). */
class ScriptedWebSocket extends EventTarget {
  static sockets = [];
  constructor(url) {
    super();
    this.url = String(url);
    this.readyState = 0;
    this.sent = [];
    ScriptedWebSocket.sockets.push(this);
    setTimeout(() => {
      this.readyState = 1;
      this.dispatchEvent(new Event('open'));
    });
  }
  send(text) {
    this.sent.push(text);
  }
  push(text) {
    const ev = new Event('message');
    ev.data = text;
    this.dispatchEvent(ev);
  }
  close() {
    this.readyState = 3;
  }
}

/** A small seeded PRNG (mulberry32). */
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const strings = ['', 'a', 'héllo', '日本語', '😀 emoji', 'quote " and \\ backslash', 'line\nbreak', '\u0000nul', 'x'.repeat(300)];
const numbers = ['0', '-1', '3.5', '1e3', '1.0', '12345678901234567890', '-0', '2.5E-3'];

/** Random JSON text (valid), nested up to depth. */
function value(r, depth) {
  const k = Math.floor(r() * (depth > 0 ? 7 : 5));
  switch (k) {
    case 0:
      return 'null';
    case 1:
      return r() < 0.5 ? 'true' : 'false';
    case 2:
      return numbers[Math.floor(r() * numbers.length)];
    case 3:
    case 4:
      return JSON.stringify(strings[Math.floor(r() * strings.length)]);
    case 5: {
      const n = Math.floor(r() * 4);
      return `[${Array.from({ length: n }, () => value(r, depth - 1)).join(',')}]`;
    }
    default: {
      const n = Math.floor(r() * 4);
      const keys = Array.from({ length: n }, (_, i) => `${JSON.stringify(strings[Math.floor(r() * strings.length)] + i)}:${value(r, depth - 1)}`);
      return `{${keys.join(',')}}`;
    }
  }
}

/** One random server frame for subscription sub (mostly data events, some odd ones). */
function frame(r, sub) {
  const k = r();
  if (k < 0.05) return '{"id":' + sub + ',"result":{"type":"data","data":'; // truncated
  if (k < 0.08) return 'not json at all ' + value(r, 1);
  if (k < 0.1) return `{"id":${sub},"result":{"type":"data","data":${value(r, 2)}}} trailing`;
  let eventId = '';
  const e = r();
  if (e < 0.3) eventId = `"id":${JSON.stringify(strings[Math.floor(r() * strings.length)].slice(0, 20))},`;
  else if (e < 0.5) eventId = `"id":${numbers[Math.floor(r() * numbers.length)]},`;
  const data = r() < 0.1 ? '' : `,"data":${value(r, 4)}`;
  return `{"id":${sub},"result":{"type":"data",${eventId}"type":"data"${data}}}`.replace(',"type":"data"', '');
}

/** Pads a frame past any length threshold without changing its meaning (whitespace after "{"). */
const long = (text) => (text.startsWith('{') ? '{' + ' '.repeat(300) + text.slice(1) : text + ' '.repeat(300));

/** Subscribes on a fresh client, pushes frames, returns what the observer saw. */
async function deliver(frames) {
  ScriptedWebSocket.sockets = [];
  const client = createTRPCWebSocket({ url: 'ws://scripted.invalid', WebSocket: ScriptedWebSocket });
  const seen = [];
  const sub = client
    .request({ op: { id: 1, type: 'subscription', path: 'events', input: undefined, context: {} } })
    .subscribe({
      next: (env) => seen.push({ next: env.result }),
      error: (err) => seen.push({ error: err.message }),
      complete: () => seen.push({ complete: true }),
    });
  const ws = await waitFor(() => ScriptedWebSocket.sockets[0]?.sent.length > 0 && ScriptedWebSocket.sockets[0], 5000, 'the subscription frame');
  const id = JSON.parse(ws.sent[0]).id;
  ws.push(`{"id":${id},"result":{"type":"started"}}`);
  for (const f of frames) ws.push(f.replaceAll('SUB', String(id)));
  // A last marker event: everything before it has been delivered.
  ws.push(`{"id":${id},"result":{"type":"data","data":"END"}}`);
  await waitFor(() => seen.some((s) => s.next?.data === 'END'), 5000, 'the END event');
  sub.unsubscribe();
  await client.close();
  return seen;
}

/** What the user should see for frame text: JSON.parse's view of it, or nothing (malformed). */
function expected(text) {
  let msg;
  try {
    msg = JSON.parse(text);
  } catch {
    return null;
  }
  const r = msg.result;
  const out = { type: 'data' };
  if (r.id !== undefined && r.id !== null) out.id = null; // checked separately: the id's own text
  out.data = r.data;
  return out;
}

describe('frames: what the user sees does not depend on frame length', () => {
  for (let seed = 1; seed <= 6; seed++) {
    test(`random frames, seed ${seed}`, async () => {
      const r = rng(seed);
      const frames = Array.from({ length: 60 }, () => frame(r, 'SUB'));
      const short = await deliver(frames);
      const padded = await deliver(frames.map(long));
      assert.deepStrictEqual(padded, short);
      // And it is the parsed frame: data as JSON.parse gives it, in order, malformed frames dropped.
      const events = short.filter((s) => s.next?.type === 'data' && s.next.data !== 'END').map((s) => s.next);
      const want = frames.map((f) => expected(f.replaceAll('SUB', '1'))).filter(Boolean);
      assert.equal(events.length, want.length);
      for (let i = 0; i < want.length; i++) {
        assert.deepStrictEqual(events[i].data, want[i].data, `event ${i}`);
        assert.equal('id' in events[i], 'id' in want[i], `event ${i}: id present`);
      }
    });
  }

  test('numeric event ids arrive as their exact text, short or long', async () => {
    const frames = ['12345678901234567890', '1.0', '"a"', '7'].map((id) => `{"id":SUB,"result":{"type":"data","id":${id},"data":${id}}}`);
    for (const variant of [frames, frames.map(long), frames.map((f) => f.replace('"data":', `"data":{"pad":"${'x'.repeat(400)}","v":`).replace(/}}$/, '}}}'))]) {
      const seen = await deliver(variant);
      const ids = seen.filter((s) => s.next?.type === 'data' && s.next.data !== 'END').map((s) => s.next.id);
      assert.deepStrictEqual(ids, ['12345678901234567890', '1.0', 'a', '7']);
    }
  });
});
