/**
 * The native backend's output storage pool (native/storage.cc): memory of outputs the garbage
 * collector released is reused, and a block is never handed to a new output while a live tensor
 * still holds it.
 */
import { describe, expect, it } from 'vitest';
import v8 from 'node:v8';
import vm from 'node:vm';
import { add, mul, randn, setBackend, tensor, type Tensor } from '@tapegrad/tensor';
import { nativeBackend, nativeInfo } from '@tapegrad/backend-native';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function withNative<T>(f: () => T): T {
  const prev = setBackend(nativeBackend());
  try {
    return f();
  } finally {
    setBackend(prev);
  }
}

describe('native output storage', () => {
  it('gives large outputs aligned, uninitialized storage of their own', () => {
    withNative(() => {
      const a = randn([1000]);
      const b = add(a, 1);
      expect(b.buf.byteLength).toBe(4000);
      expect(b.buf.byteOffset % 64).toBe(0);
      expect(b.buf.buffer).not.toBe(a.buf.buffer);
    });
  });

  it('takes back the memory of released outputs and reuses it', async () => {
    withNative(() => {
      const x = randn([64, 1024]);
      for (let i = 0; i < 50; i++) mul(x, 2);
    });
    gc();
    // V8 may finish freeing released buffers on a background thread after the collection.
    for (let i = 0; i < 50 && nativeInfo().pooledBytes === 0; i++) await new Promise((r) => setTimeout(r, 10));
    const pooled = nativeInfo().pooledBytes;
    expect(pooled).toBeGreaterThanOrEqual(64 * 1024 * 4);
    withNative(() => void mul(randn([64, 1024]), 3));
    expect(nativeInfo().pooledBytes).toBeLessThan(pooled);
  });

  it('never hands a live tensor’s storage to a new output', () => {
    withNative(() => {
      const n = 4096;
      const kept: { t: Tensor; value: number }[] = [];
      for (let round = 0; round < 40; round++) {
        const value = round + 0.5;
        const t = add(tensor(new Float32Array(n)), value);
        if (round % 3 === 0) kept.push({ t, value });
        // garbage of the same size class, released at the collections in between
        for (let j = 0; j < 20; j++) mul(t, 2);
        if (round % 5 === 0) gc();
      }
      gc();
      for (let j = 0; j < 200; j++) add(kept[0]!.t, 1);
      for (const { t, value } of kept) expect(Array.from(new Set(t.buf))).toEqual([value]);
    });
  });
});
