// The Go instance as JavaScript sees it: its exported functions, the input
// buffer calls write their bytes into, and the output records each call
// returns (jsbridge/wire.go): float64 runs [kind, fields...] read in place,
// plus a bytes area that text refs point into.
import { REF_BYTES, REF_FRAME, REC_SIZE } from './constants.js';

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();
const SHORT = 64; // strings up to this length are written by hand when ASCII

/**
 * After a call, its records are read in place (f64 from base, text from
 * bytesBase): nothing calls Go again until they have been carried out (see
 * schedule in load.js).
 */
export class Instance {
  constructor(instance, go) {
    this.go = go;
    this.x = instance.exports;
    this.memory = this.x.mem;
    this.headerPtr = this.x.trpcws_header();
    this.buffer = null;
    this.u8 = new Uint8Array(0);
    this.inPtr = 0;
    this.inCap = 0;
    this.inView = this.u8; // the input buffer, inCap bytes at inPtr
    this.base = 0;
    this.bytesBase = 0;
    this.view();
  }

  view() {
    // Growing the memory detaches the old buffer, and every view of it
    // then has length 0: cheaper to test than reading memory.buffer.
    if (this.u8.length === 0) {
      this.buffer = this.memory.buffer;
      this.u8 = new Uint8Array(this.buffer);
      this.f64 = new Float64Array(this.buffer, 0, this.buffer.byteLength >> 3);
      this.dv = new DataView(this.buffer);
      this.header = new Int32Array(this.buffer, this.headerPtr, 4);
      this.inView = new Uint8Array(this.buffer, this.inPtr, this.inCap);
    }
  }

  /** Makes Go's input buffer hold at least max bytes; returns its address. */
  input(max) {
    if (max > this.inCap) {
      const cap = Math.max(max, 4096);
      const p = this.x.trpcws_alloc(cap);
      if (!p) throw new Error('trpcws: out of memory');
      this.inPtr = p;
      this.inCap = cap;
      this.view();
      this.inView = new Uint8Array(this.buffer, p, cap);
    }
    this.view();
    return this.inPtr;
  }

  /** Writes str as UTF-8 into the input; returns its length in bytes. */
  write(str, offset = 0) {
    const n = str.length;
    const max = n * 3;
    const p = this.input(offset + max) + offset;
    if (n <= SHORT) {
      // A short ASCII string (a path, a small frame) costs less copied here
      // than through a call into TextEncoder.
      const u8 = this.u8;
      let i = 0;
      for (; i < n; i++) {
        const c = str.charCodeAt(i);
        if (c > 0x7f) break;
        u8[p + i] = c;
      }
      if (i === n) return n;
    }
    // The input's own view when writing at its start: no view per call.
    const dst = offset === 0 ? this.inView : this.u8.subarray(p, p + max);
    return textEncoder.encodeInto(str, dst).written;
  }

  /** Writes numbers as little-endian float64s into the input; returns the byte length. */
  writeNumbers(nums) {
    const p = this.input(nums.length * 8);
    for (let i = 0; i < nums.length; i++) this.dv.setFloat64(p + 8 * i, nums[i], true);
    return nums.length * 8;
  }

  /** Takes the result of a call: the number of record numbers, or throws. */
  done(n) {
    if (this.go.exited) throw new Error('trpcws: the Go instance has exited');
    this.view();
    const h = this.header;
    this.bytesBase = h[2];
    if (n < 0) throw new Error(textDecoder.decode(this.u8.subarray(h[2], h[2] + h[3])) || 'trpcws: call failed');
    this.base = h[0] >> 3;
    return n;
  }

  /** Record number i of the last call. */
  num(i) {
    return this.f64[this.base + i];
  }

  /** Text [a, b) of the bytes area of the last call. */
  text(a, b) {
    return textDecoder.decode(this.u8.subarray(this.bytesBase + a, this.bytesBase + b));
  }

  /**
   * The ref (where, a, b) at record number i: the text it points at (in
   * frame, the inbound text of the call, or in the bytes area), or undefined
   * when absent.
   */
  ref(i, frame) {
    const where = this.num(i);
    if (where === REF_FRAME) return frame.slice(this.num(i + 1), this.num(i + 2));
    if (where === REF_BYTES) return this.text(this.num(i + 1), this.num(i + 2));
    return undefined;
  }

  /** The size of the record starting at number i, or throws on an unknown kind. */
  size(i) {
    const size = REC_SIZE[this.num(i)];
    if (!size) throw new Error(`trpcws: unknown record ${this.num(i)}`);
    return size;
  }
}
