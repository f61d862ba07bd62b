import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arange, Generator, tensor, Tensor, type DType } from '@tapegrad/tensor';
import {
  decodeSafetensors, fromSafetensorsBytes, loadSafetensors, MAX_HEADER_BYTES, SafetensorsError, saveSafetensors, toSafetensorsBytes,
} from '@tapegrad/nn';

/** One tensor of every dtype, 0-d and empty ones, special float values, a non-contiguous view. */
function sample(): Record<string, Tensor> {
  return {
    'w.f32': tensor([[1.5, -2.25, 3e-39], [Number.NaN, Number.POSITIVE_INFINITY, -0]]),
    'w.f64': tensor(new Float64Array([Math.PI, -1e-310, Number.NEGATIVE_INFINITY, 1e300]), { shape: [2, 2] }),
    'counts.i32': tensor(new Int32Array([0, -1, 2147483647, -2147483648, 7])),
    'mask.bool': tensor([[true, false], [false, true], [true, true]]),
    'scalar.f32': tensor(2.5),
    'scalar.f64': tensor(-0.125, { dtype: 'float64' }),
    'scalar.i32': tensor(-42, { dtype: 'int32' }),
    'scalar.bool': tensor(true),
    'empty.f32': tensor(new Float32Array(0), { shape: [0, 3] }),
    'transposed.f64': arange(6, { dtype: 'float64' }).reshape([2, 3]).T,
    'ünïcode name ✓': tensor([1, 2, 3], { dtype: 'int32' }),
    ['__proto__']: tensor([9]),
  } as Record<string, Tensor>;
}

/** Element-wise identity, telling -0 from 0 and NaN equal to NaN. */
function expectSameTensor(a: Tensor, b: Tensor, what: string): void {
  expect(a.dtype, what).toBe(b.dtype);
  expect(a.shape, what).toEqual(b.shape);
  const x = Array.from(a.data());
  const y = Array.from(b.data());
  x.forEach((v, i) => expect(Object.is(v, y[i]), `${what}[${i}]: ${v} vs ${y[i]}`).toBe(true));
}

function expectSameDict(a: Record<string, Tensor>, b: Record<string, Tensor>): void {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  for (const k of Object.keys(b)) expectSameTensor(a[k]!, b[k]!, k);
}

// ---------------------------------------------------------------------------------------------
// An independent reader that follows the published format, sharing no code with tapegrad.
// ---------------------------------------------------------------------------------------------

const SIZES: Record<string, number> = { F32: 4, F64: 8, I32: 4, BOOL: 1 };
interface Read {
  headerLength: number;
  header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  metadata: Record<string, string> | undefined;
  values: Record<string, { dtype: string; shape: number[]; values: number[]; begin: number }>;
}

function referenceRead(bytes: Uint8Array): Read {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  const headerText = new TextDecoder().decode(bytes.subarray(8, 8 + n));
  const parsed = JSON.parse(headerText) as Record<string, unknown>;
  const metadata = parsed.__metadata__ as Record<string, string> | undefined;
  delete parsed.__metadata__;
  const header = parsed as Read['header'];
  const start = 8 + n;
  const values: Read['values'] = {};
  for (const [name, info] of Object.entries(header)) {
    const [begin, end] = info.data_offsets;
    const size = SIZES[info.dtype]!;
    const count = info.shape.reduce((p, d) => p * d, 1);
    expect(end - begin, name).toBe(count * size);
    const out: number[] = [];
    for (let i = 0; i < count; i++) {
      const at = start + begin + i * size;
      if (info.dtype === 'F32') out.push(view.getFloat32(at, true));
      else if (info.dtype === 'F64') out.push(view.getFloat64(at, true));
      else if (info.dtype === 'I32') out.push(view.getInt32(at, true));
      else out.push(view.getUint8(at));
    }
    values[name] = { dtype: info.dtype, shape: info.shape, values: out, begin };
  }
  return { headerLength: n, header, metadata, values };
}

const CODE: Record<DType, string> = { float32: 'F32', float64: 'F64', int32: 'I32', bool: 'BOOL' };

describe('safetensors round trips', () => {
  it('keeps every dtype, 0-d and empty tensors, special values and odd names', () => {
    const sd = sample();
    const bytes = toSafetensorsBytes(sd);
    expectSameDict(fromSafetensorsBytes(bytes), sd);
    // An ArrayBuffer, and a Uint8Array that does not start at its buffer's start, read the same.
    expectSameDict(fromSafetensorsBytes(bytes.slice().buffer), sd);
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    expectSameDict(fromSafetensorsBytes(shifted.subarray(3)), sd);
    const back = fromSafetensorsBytes(bytes);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.hasOwn(back, '__proto__')).toBe(true);
  });

  it('keeps metadata', () => {
    const bytes = toSafetensorsBytes({ a: tensor([1]) }, { metadata: { format: 'pt', epoch: '3', 'ключ': 'значение' } });
    expect(decodeSafetensors(bytes).metadata).toEqual({ format: 'pt', epoch: '3', 'ключ': 'значение' });
    expect(decodeSafetensors(toSafetensorsBytes({ a: tensor([1]) })).metadata).toEqual({});
    expect(fromSafetensorsBytes(toSafetensorsBytes({}))).toEqual({});
  });

  it('writes the published layout, as an independent reader sees it', () => {
    const sd = sample();
    const bytes = toSafetensorsBytes(sd, { metadata: { note: 'hello' } });
    const r = referenceRead(bytes);
    expect(r.headerLength % 8).toBe(0);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + r.headerLength));
    expect(text.startsWith('{')).toBe(true);
    expect(/^[^]*\} *$/.test(text)).toBe(true); // padded with spaces only
    expect(r.metadata).toEqual({ note: 'hello' });
    expect(Object.keys(r.header).sort()).toEqual(Object.keys(sd).sort());
    // The data section is tiled exactly, each tensor aligned to its element size.
    const spans = Object.values(r.header).map((h) => h.data_offsets).sort((a, b) => a[0] - b[0]);
    let at = 0;
    for (const [begin, end] of spans) {
      expect(begin).toBe(at);
      at = end;
    }
    expect(8 + r.headerLength + at).toBe(bytes.length);
    for (const [name, v] of Object.entries(r.values)) {
      const t = sd[name]!;
      expect(v.dtype, name).toBe(CODE[t.dtype]);
      expect(v.shape, name).toEqual(t.shape);
      expect(v.begin % SIZES[v.dtype]!, `${name} alignment`).toBe(0);
      const want = Array.from(t.data());
      v.values.forEach((x, i) => expect(Object.is(x, want[i]), `${name}[${i}]`).toBe(true));
    }
  });

  it('saves and loads files, replacing an existing file and leaving no temporary files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tapegrad-st-'));
    try {
      const path = join(dir, 'model.safetensors');
      await saveSafetensors({ old: tensor([1]) }, path);
      const sd = sample();
      await saveSafetensors(sd, path, { metadata: { step: '7' } });
      expectSameDict(await loadSafetensors(path), sd);
      expect(decodeSafetensors(await readFile(path)).metadata).toEqual({ step: '7' });
      expect(await readdir(dir)).toEqual(['model.safetensors']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects what it cannot write', () => {
    expect(() => toSafetensorsBytes({ a: [1, 2] as unknown as Tensor })).toThrow(/'a' must be a Tensor/);
    expect(() => toSafetensorsBytes({ __metadata__: tensor([1]) })).toThrow(/'__metadata__' is reserved/);
    expect(() => toSafetensorsBytes({ a: tensor([1]) }, { metadata: { n: 3 as unknown as string } })).toThrow(/metadata value 'n' must be a string/);
    expect(() => toSafetensorsBytes(tensor([1]) as unknown as Record<string, Tensor>)).toThrow(/expected a state dict/);
  });
});

describe('a torch state_dict written by the fixture script', () => {
  interface Expected { dtype: string; shape: number[]; values: unknown }
  const fixtureUrl = new URL('../fixtures/nn-optim.json', import.meta.url);
  let fixture: {
    torchState: { metadata: Record<string, string>; tensors: Record<string, Expected> };
    tapegradToTorch: { ran: boolean; ok: boolean; mismatched: string[] };
  };
  beforeAll(async () => {
    fixture = JSON.parse(await readFile(fixtureUrl, 'utf8'));
  });

  // Nested lists of numbers, booleans, and 'NaN' / 'Infinity' / '-Infinity' strings (JSON has no such numbers).
  const decode = (v: unknown): number[] => ([v] as unknown[]).flat(Infinity).map((x) => Number(x));

  it('loads with every tensor, dtype, shape and value torch wrote', async () => {
    const path = new URL('../fixtures/torch-state.safetensors', import.meta.url);
    const sd = await loadSafetensors(path.pathname);
    const { metadata } = decodeSafetensors(await readFile(path));
    expect(metadata).toEqual(fixture.torchState.metadata);
    expect(Object.keys(sd).sort()).toEqual(Object.keys(fixture.torchState.tensors).sort());
    for (const [name, want] of Object.entries(fixture.torchState.tensors)) {
      const t = sd[name]!;
      expect(CODE[t.dtype], name).toBe(want.dtype);
      expect(t.shape, name).toEqual(want.shape);
      const got = Array.from(t.data());
      decode(want.values).forEach((x, i) => expect(Object.is(got[i], x), `${name}[${i}]: ${got[i]} vs ${x}`).toBe(true));
    }
    // A 0-d tensor from torch is 0-d here too.
    expect(sd.scale!.shape).toEqual([]);
    expect(sd.flag!.item()).toBe(true);
  });

  it('recorded that torch read a file tapegrad wrote, bit for bit', () => {
    expect(fixture.tapegradToTorch).toMatchObject({ ran: true, ok: true, mismatched: [] });
  });
});

// ---------------------------------------------------------------------------------------------
// Corrupt files
// ---------------------------------------------------------------------------------------------

/** Assembles a file from a header (object or raw text) and data bytes, with an optional forged length. */
function forge(header: unknown, data: ArrayLike<number> = [], length?: number | bigint): Uint8Array {
  const text = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(length ?? text.length), true);
  out.set(text, 8);
  out.set(Array.from(data), 8 + text.length);
  return out;
}

const f32 = (shape: number[], begin: number, end: number): object => ({ dtype: 'F32', shape, data_offsets: [begin, end] });

describe('corrupt safetensors give a clear error, never a partial dict', () => {
  const good = toSafetensorsBytes(sample(), { metadata: { a: 'b' } });
  const cases: [string, Uint8Array, RegExp][] = [
    ['empty input', new Uint8Array(0), /truncated: 0 bytes is shorter than the 8-byte header length/],
    ['a cut length prefix', good.subarray(0, 5), /truncated: 5 bytes/],
    ['a header longer than the file', good.subarray(0, 40), /truncated: the header claims \d+ bytes but only 32 follow/],
    ['an oversized header length', forge({}, [], MAX_HEADER_BYTES + 1), /header length 100000001 exceeds the 100000000-byte limit/],
    ['a u64 length beyond 2^32', forge({}, [], 2n ** 40n + 8n), /header length 1099511627784 exceeds/],
    ['cut data', good.subarray(0, good.length - 3), /run past the end of the data|tensors cover/],
    ['trailing bytes', forge({ a: f32([1], 0, 4) }, [0, 0, 0, 0, 1]), /the tensors cover 4 bytes of data but 5 follow the header/],
    ['invalid JSON', forge('{"a": {"dtype": "F32",'), /the header is not valid JSON/],
    ['invalid UTF-8', forge('{"ab":{}}').map((b, i) => (i === 10 ? 0xff : b)), /the header is not valid UTF-8/],
    ['a header that is not an object', forge('[1, 2]'), /the header must be a JSON object starting with '\{'/],
    ['a header that is null', forge('null    '), /must be a JSON object/],
    ['an entry that is not an object', forge({ a: 5 }), /tensor 'a': expected \{ dtype, shape, data_offsets \}, got 5/],
    ['an unknown dtype', forge({ a: { dtype: 'Q7', shape: [1], data_offsets: [0, 4] } }, [0, 0, 0, 0]), /tensor 'a': unknown dtype "Q7"/],
    ['a dtype tapegrad lacks', forge({ a: { dtype: 'U16', shape: [2], data_offsets: [0, 4] } }, [0, 0, 0, 0]), /tensor 'a': unsupported dtype 'U16' \(tapegrad reads F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL\)/],
    ['an I64 value outside int32', forge({ n: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, [5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 128, 0, 0, 0, 0]),
      /tensor 'n': I64 element 1 is 2147483648, outside the int32 range/],
    ['a negative I64 value outside int32', forge({ n: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, [255, 255, 255, 127, 255, 255, 255, 255]),
      /tensor 'n': I64 element 0 is -2147483649, outside the int32 range/],
    ['a repeated tensor name (JSON.parse would keep the last)', forge('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', [0, 0, 0, 0]),
      /tensor 'a' appears twice in the header \(both with data_offsets \[0, 4\]\)/],
    ['a repeated tensor name with other offsets', forge('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}', new Uint8Array(12)),
      /tensor 'a' appears twice in the header, with data_offsets \[0, 4\] and then \[8, 12\]/],
    ['a repeated name spelled with an escape', forge('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"\\u0061":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', [0, 0, 0, 0]),
      /tensor 'a' appears twice in the header/],
    ['two __metadata__ maps', forge('{"__metadata__":{"a":"1"},"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"__metadata__":{"a":"2"}}', [0, 0, 0, 0]),
      /the header has two '__metadata__' maps/],
    ['a repeated metadata key', forge('{"__metadata__":{"a":"1","a":"2"}}'), /'__metadata__' has the key 'a' twice/],
    ['a repeated field in an entry', forge('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"dtype":"I32"}}', [0, 0, 0, 0]), /tensor 'a' has 'dtype' twice in its header entry/],
    ['a UTF-8 byte-order mark before the header', (() => {
      const text = new TextEncoder().encode('\uFEFF{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}');
      const out = new Uint8Array(8 + text.length + 4);
      new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
      out.set(text, 8);
      return out;
    })(), /the header starts with a UTF-8 byte-order mark \(EF BB BF\)/],
    ['a dtype that is a prototype key', forge({ a: { dtype: 'toString', shape: [1], data_offsets: [0, 4] } }, [0, 0, 0, 0]), /unknown dtype "toString"/],
    ['a dtype of the wrong type', forge({ a: { dtype: 4, shape: [1], data_offsets: [0, 4] } }, [0, 0, 0, 0]), /tensor 'a': dtype must be a string, got 4/],
    ['a shape of the wrong type', forge({ a: { dtype: 'F32', shape: '1', data_offsets: [0, 4] } }, [0, 0, 0, 0]), /tensor 'a': shape must be an array of non-negative integers, got "1"/],
    ['a negative dimension', forge({ a: f32([-1], 0, 4) }, [0, 0, 0, 0]), /shape must be an array of non-negative integers/],
    ['a fractional dimension', forge({ a: f32([1.5], 0, 4) }, [0, 0, 0, 0]), /shape must be an array of non-negative integers/],
    ['offsets of the wrong type', forge({ a: { dtype: 'F32', shape: [1], data_offsets: ['0', '4'] } }, [0, 0, 0, 0]), /data_offsets must be \[begin, end\] with non-negative integers/],
    ['one offset', forge({ a: { dtype: 'F32', shape: [1], data_offsets: [4] } }, [0, 0, 0, 0]), /data_offsets must be \[begin, end\]/],
    ['reversed offsets', forge({ a: f32([0], 4, 0) }, [0, 0, 0, 0]), /data_offsets \[4, 0\] end before they begin/],
    ['offsets past the data', forge({ a: f32([2], 0, 8) }, [0, 0, 0, 0]), /data_offsets \[0, 8\] run past the end of the data \(4 bytes/],
    ['a size that disagrees with the shape', forge({ a: f32([3], 0, 8) }, new Uint8Array(8)), /shape \[3\] of F32 needs 12 bytes but data_offsets \[0, 8\] hold 8/],
    ['overlapping tensors', forge({ a: f32([2], 0, 8), b: f32([2], 4, 12) }, new Uint8Array(12)), /tensor 'b' data_offsets \[4, 12\] overlap tensor 'a' \(which ends at 8\)/],
    ['two tensors on the same bytes', forge({ a: f32([1], 0, 4), b: f32([1], 0, 4) }, new Uint8Array(4)), /overlap/],
    ['a gap between tensors', forge({ a: f32([1], 0, 4), b: f32([1], 8, 12) }, new Uint8Array(12)), /tensor 'b' data_offsets start at 8, leaving bytes 4..8 of the data unused/],
    ['metadata that is not an object', forge({ __metadata__: ['x'] }), /__metadata__ must be an object of strings/],
    ['a metadata value that is not a string', forge({ __metadata__: { epoch: 3 } }), /__metadata__ value 'epoch' must be a string, got 3/],
    ['a BOOL byte other than 0 or 1', forge({ m: { dtype: 'BOOL', shape: [3], data_offsets: [0, 3] } }, [1, 0, 2]), /BOOL element 2 holds byte 2; expected 0 or 1/],
  ];

  for (const [what, bytes, message] of cases) {
    it(`${what}`, () => {
      let result: unknown = 'not thrown';
      try {
        result = fromSafetensorsBytes(bytes);
      } catch (e) {
        expect(e).toBeInstanceOf(SafetensorsError);
        expect((e as Error).message).toMatch(/^safetensors: /);
        expect((e as Error).message).toMatch(message);
        return;
      }
      expect.fail(`expected an error, got ${JSON.stringify(Object.keys(result as object))}`);
    });
  }

  it('rejects input that is not bytes', () => {
    expect(() => fromSafetensorsBytes('abc' as unknown as Uint8Array)).toThrow(/expected a Uint8Array or ArrayBuffer, got "abc"/);
  });

  it('every truncation of a valid file is an error', () => {
    for (let n = 0; n < good.length; n++) expect(() => fromSafetensorsBytes(good.subarray(0, n)), `length ${n}`).toThrow(SafetensorsError);
  });

  it('random corruption either decodes or throws a SafetensorsError, never anything else', () => {
    const g = new Generator(2024);
    let decoded = 0;
    for (let trial = 0; trial < 3000; trial++) {
      const bytes = good.slice();
      const flips = 1 + Math.floor(g.random() * 3);
      for (let k = 0; k < flips; k++) {
        // Mostly hit the length prefix and header, where structure lives.
        const at = g.random() < 0.8 ? Math.floor(g.random() * Math.min(bytes.length, 8 + 600)) : Math.floor(g.random() * bytes.length);
        bytes[at] = Math.floor(g.random() * 256);
      }
      try {
        const sd = fromSafetensorsBytes(bytes);
        for (const t of Object.values(sd)) expect(t).toBeInstanceOf(Tensor);
        decoded++;
      } catch (e) {
        if (!(e instanceof SafetensorsError)) throw new Error(`trial ${trial}: unexpected ${String(e)}`);
      }
    }
    expect(decoded).toBeGreaterThan(0); // flips inside the data are still valid files
  });

  describe('loadSafetensors', () => {
    let dir = '';
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'tapegrad-st-bad-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('names the file in the error', async () => {
      const path = join(dir, 'bad.safetensors');
      await writeFile(path, forge({ a: f32([3], 0, 8) }, new Uint8Array(8)));
      await expect(loadSafetensors(path)).rejects.toThrow(`${path}: safetensors: tensor 'a': shape [3] of F32 needs 12 bytes`);
      await expect(loadSafetensors(path)).rejects.toBeInstanceOf(SafetensorsError);
      await expect(loadSafetensors(join(dir, 'missing.safetensors'))).rejects.toThrow(/ENOENT/);
    });
  });
});
