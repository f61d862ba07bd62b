/**
 * Deterministic input data shared by every framework.
 *
 * The values come from an integer hash (lowbias32) of the element index and a
 * seed, so the exact same float32 numbers can be produced in JS and in NumPy
 * (see `fill` in torch_bench.py). Every framework therefore computes on
 * identical inputs, and the cross-framework checks in main.ts can compare
 * results.
 */
export function fill(count: number, seed: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(count);
  const s = Math.imul(seed + 1, 0x85ebca77) >>> 0;
  const span = hi - lo;
  for (let i = 0; i < count; i++) {
    let h = (Math.imul(i + 1, 0x9e3779b1) ^ s) >>> 0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x7feb352d) >>> 0;
    h ^= h >>> 15;
    h = Math.imul(h, 0x846ca68b) >>> 0;
    h ^= h >>> 16;
    out[i] = lo + (span * (h >>> 0)) / 4294967296;
  }
  return out;
}
