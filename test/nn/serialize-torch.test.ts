import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '@tapegrad/tensor';
import {
  BatchNorm1d, Linear, ReLU, Sequential, decodeSafetensors, fromSafetensorsBytes, loadSafetensors, saveSafetensors, toSafetensorsBytes,
} from '@tapegrad/nn';
import { readFixture } from './helpers.js';

/**
 * Safetensors files both ways with PyTorch: test/nn/torch/make_safetensors_fixtures.py wrote one tensor of
 * every dtype tapegrad reads (F16, BF16, I64, I16, I8, U8 included) and a BatchNorm model's state dict
 * (int64 num_batches_tracked), and recorded what torch found in the files tapegrad wrote from it.
 */

type Value = number | boolean | 'NaN' | 'Infinity' | '-Infinity';
interface Expected { dtype: string; shape: number[]; values: Value[] }
interface Fixture {
  torch: string;
  dtypes: { file: string; tensors: Record<string, Expected> };
  bn: { file: string; stateDict: Record<string, Expected>; x: number[][]; y: number[][] };
  tricky: Value[];
  trickyFloat16: Expected;
  trickyBfloat16: Expected;
  tapegradWrites: Record<string, unknown>;
}

const fixture = readFixture<Fixture>('nn-safetensors.json');
const fixturePath = (file: string): string => new URL(`../../${file}`, import.meta.url).pathname;
const num = (v: Value): number => (v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : Number(v));
/** The tapegrad dtype each safetensors dtype is read as. */
const READ_AS: Record<string, string> = { F64: 'float64', F32: 'float32', F16: 'float32', BF16: 'float32', I64: 'int32', I32: 'int32', I16: 'int32', I8: 'int32', U8: 'int32', BOOL: 'bool' };

function expectValues(t: Tensor, e: Expected, what: string): void {
  expect(t.dtype, what).toBe(READ_AS[e.dtype]);
  expect(t.shape, what).toEqual(e.shape);
  const got = Array.from(t.data());
  e.values.forEach((v, i) => {
    const want = num(v);
    if (Number.isNaN(want)) expect(got[i], `${what}[${i}]`).toBeNaN();
    else expect(Object.is(got[i], want) || got[i] === want, `${what}[${i}]: ${got[i]} vs torch ${want}`).toBe(true);
  });
}

describe(`safetensors files from PyTorch ${fixture.torch}`, () => {
  it('reads every dtype torch wrote, widening F16/BF16 to float32 and I64/I16/I8/U8 to int32, exactly', async () => {
    const sd = await loadSafetensors(fixturePath(fixture.dtypes.file));
    expect(Object.keys(sd).sort()).toEqual(Object.keys(fixture.dtypes.tensors).sort());
    expect(new Set(Object.values(fixture.dtypes.tensors).map((e) => e.dtype))).toEqual(new Set(Object.keys(READ_AS)));
    for (const [name, e] of Object.entries(fixture.dtypes.tensors)) expectValues(sd[name]!, e, name);
  });

  it("loads torch's BatchNorm model (int64 num_batches_tracked) strictly and gives torch's outputs", async () => {
    const sd = await loadSafetensors(fixturePath(fixture.bn.file));
    for (const [name, e] of Object.entries(fixture.bn.stateDict)) expectValues(sd[name]!, e, name);
    const model = new Sequential(new Linear(3, 4), new BatchNorm1d(4), new ReLU(), new Linear(4, 2));
    model.loadStateDict(sd);
    model.eval();
    const y = model.call(tensor(fixture.bn.x)).data();
    fixture.bn.y.flat().forEach((v, i) => expect(Math.abs(y[i]! - v)).toBeLessThan(1e-6));
  });

  it('rounds to float16 and bfloat16 exactly as torch does (ties to even, subnormals, overflow, float64 via float32)', () => {
    const values = tensor(Float64Array.from(fixture.tricky, num));
    for (const [dtype, e] of [['float16', fixture.trickyFloat16], ['bfloat16', fixture.trickyBfloat16]] as const) {
      const bytes = toSafetensorsBytes({ v: values, v32: values.to('float32') }, { dtype });
      const back = decodeSafetensors(bytes).tensors;
      expectValues(back.v!, e, `${dtype} from float64`);
      expectValues(back.v32!, e, `${dtype} from float32`);
    }
  });

  it('recorded that torch read the files tapegrad wrote: full precision bit for bit, half precision as its own conversion', () => {
    const w = fixture.tapegradWrites;
    expect(w.ran).toBe(true);
    expect(w.fullBitIdentical).toBe(true);
    expect(w.fullLoadStateDictStrictAndForwardEqual).toBe(true);
    for (const half of ['bf16', 'f16']) {
      expect(w[`${half}MatchesTorchConversion`]).toBe(true);
      expect(w[`${half}ForwardMaxAbsError`]).toBeLessThan(half === 'bf16' ? 1e-2 : 1e-3);
      expect((w[`${half}Dtypes`] as Record<string, string>)['1.num_batches_tracked']).toBe('I64');
    }
    expect((w.fullDtypes as Record<string, string>)['1.num_batches_tracked']).toBe('I64');
    for (const k of ['trickyFloat16From64Mismatches', 'trickyFloat16From32Mismatches', 'trickyBfloat16From64Mismatches', 'trickyBfloat16From32Mismatches']) {
      expect(w[k], k).toEqual([]);
    }
  });
});

describe('safetensors writing: num_batches_tracked as I64, half precision on request', () => {
  const header = (bytes: Uint8Array): Record<string, { dtype: string }> => {
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { dtype: string }>;
  };

  it('writes num_batches_tracked as I64 (other int32 tensors as I32) and reads it back, negative values included', () => {
    const bn = new BatchNorm1d(3);
    bn.call(tensor([[1, 2, 3], [4, 5, 7]]));
    const sd = { ...bn.stateDict(), counts: tensor(new Int32Array([-5, 2147483647])), 'x.num_batches_tracked': tensor(new Int32Array([-3])) };
    const bytes = toSafetensorsBytes(sd);
    const h = header(bytes);
    expect([h.num_batches_tracked!.dtype, h.counts!.dtype, h['x.num_batches_tracked']!.dtype, h.running_mean!.dtype]).toEqual(['I64', 'I32', 'I64', 'F32']);
    const back = fromSafetensorsBytes(bytes);
    expect(back.num_batches_tracked!.toArray()).toBe(1);
    expect(back['x.num_batches_tracked']!.toArray()).toEqual([-3]);
    expect(back.counts!.toArray()).toEqual([-5, 2147483647]);
  });

  it('writes F16/BF16 for float tensors only, and checks its options', () => {
    const sd = { w: tensor([0.1, 2]), d: tensor(new Float64Array([1 / 3])), i: tensor(new Int32Array([4])), b: tensor([true]) };
    const h = header(toSafetensorsBytes(sd, { dtype: 'bfloat16', metadata: { a: 'b' } }));
    expect([h.w!.dtype, h.d!.dtype, h.i!.dtype, h.b!.dtype]).toEqual(['BF16', 'BF16', 'I32', 'BOOL']);
    expect(decodeSafetensors(toSafetensorsBytes(sd, { dtype: 'float16', metadata: { a: 'b' } })).metadata).toEqual({ a: 'b' });
    expect(() => toSafetensorsBytes(sd, { dtype: 'float8' as never })).toThrow(/dtype must be 'float16' or 'bfloat16'/);
    expect(() => toSafetensorsBytes(sd, { epoch: '3' } as never)).toThrow(/unknown option 'epoch'.*metadata goes in \{ metadata/);
  });
});

describe('saveSafetensors cleans up after a save that was killed mid-way', () => {
  it('removes the temporary file a killed process left, and keeps those of running saves', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tapegrad-stale-'));
    const path = join(dir, 'model.safetensors');
    try {
      // A process that has exited (its id is free) left a partial temporary file behind.
      const dead = Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }));
      const stale = `model.safetensors.${dead}.abc123.tmp`;
      // A save still running in another live process (this test runner's parent stands in for it).
      const live = `model.safetensors.${process.ppid}.def456.tmp`;
      // Files of other targets, and other names, are not ours to touch.
      const others = [`other.safetensors.${dead}.abc123.tmp`, 'model.safetensors.notes.txt'];
      for (const f of [stale, live, ...others]) await writeFile(join(dir, f), 'partial');
      await saveSafetensors({ w: tensor([1, 2]) }, path);
      expect((await readdir(dir)).sort()).toEqual(['model.safetensors', live, ...others].sort());
      expect(Array.from((await loadSafetensors(path)).w!.data())).toEqual([1, 2]);
      expect((await readFile(join(dir, live), 'utf8'))).toBe('partial');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
