/**
 * The fuzz table for @tapegrad/tensor: every exported function, the Tensor constructor, its static
 * `empty` and every Tensor method and getter, each with well-formed arguments and, where a simple
 * reference can say what the answer is, that reference.
 */
import fc from 'fast-check';
import * as T from '@tapegrad/tensor';
import { Generator, Tensor, type DType } from '@tapegrad/tensor';
import {
  axesArb, axisArb, broadcastShapesArb, broadcastTensors, createOptsArb, dtypeArb, flagArb, floatTensorArb, indexArb, makeTensor, operandArb,
  scalarArb, shapeArb, specArb, tensorArb,
} from './args.js';
import { SKIP, type ApiEntry } from './contract.js';
import * as R from './reference.js';
import { Refuse, read, ref, type Ref } from './reference.js';

type Args = unknown[];
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Fn = (...a: any[]) => unknown;

const entries: ApiEntry[] = [];

/** A free function. */
function fn(id: string, args: fc.Arbitrary<Args>, call: Fn, more: Partial<ApiEntry> = {}): void {
  entries.push({ id, names: [id], args, call, ...more });
}

/**
 * An op that is both a free function and a Tensor method (receiver first): one entry each, sharing
 * the arguments and the reference. `first` makes the receiver a tensor for the method form.
 */
function op(name: string, args: fc.Arbitrary<Args>, more: Partial<ApiEntry> = {}, opts: { method?: string; names?: string[] } = {}): void {
  const free = (T as unknown as Record<string, Fn>)[name]!;
  const names = opts.names ?? [name];
  entries.push({ id: name, names, args, call: free, ...more });
  const m = opts.method ?? name;
  entries.push({
    id: `Tensor#${m}`, names, keep: [0], ...more,
    args: args.filter((a) => a[0] instanceof Tensor),
    call: (t: Tensor, ...rest: unknown[]) => (t as unknown as Record<string, Fn>)[m]!(...rest),
  });
}

/** A Tensor method with no free function. */
function method(name: string, args: fc.Arbitrary<Args>, more: Partial<ApiEntry> = {}): void {
  entries.push({
    id: `Tensor#${name}`, names: [name], keep: [0], inPlace: name.endsWith('_'), ...more, args,
    call: (t: Tensor, ...rest: unknown[]) => (t as unknown as Record<string, Fn>)[name]!(...rest),
  });
}

const refOf = (x: unknown): R.Operand => (x instanceof Tensor ? read(x) : (x as number | boolean));
const isFloat = (d: DType): boolean => d === 'float32' || d === 'float64';
const tensorOnly = tensorArb();
const one = (a: fc.Arbitrary<unknown>): fc.Arbitrary<Args> => a.map((x) => [x]);

// ---- creation ------------------------------------------------------------------------------------

/** Nested arrays of numbers (or all booleans) of a random shape, and the flat values they hold. */
const nestedArb = shapeArb(0, 3).chain((shape) =>
  fc.tuple(fc.constant(shape), fc.boolean(), fc.array(fc.integer({ min: -12, max: 12 }), { minLength: R.size(shape), maxLength: R.size(shape) })),
).map(([shape, bools, ints]) => {
  const flat = ints.map((v) => (bools ? v > 0 : v / 4));
  let k = 0;
  const build = (d: number): unknown => (d === shape.length ? flat[k++] : Array.from({ length: shape[d]! }, () => build(d + 1)));
  return build(0);
});

const dataArb = fc.oneof(
  nestedArb,
  fc.constantFrom(0, 1.5, -3, true, false, NaN),
  specArb({ shape: shapeArb(1, 1) }).map((s) => makeTensor({ ...s, layout: 'contiguous', requiresGrad: false }).data()),
  tensorOnly,
);

function tensorRef(data: unknown, opts?: { dtype?: DType; shape?: number[]; requiresGrad?: boolean }): Ref {
  let shape: number[];
  let values: number[];
  let dtype: DType;
  if (data instanceof Tensor) ({ shape, data: values, dtype } = read(data));
  else if (typeof data === 'number' || typeof data === 'boolean') [shape, values, dtype] = [[], [Number(data)], typeof data === 'boolean' ? 'bool' : 'float32'];
  else if (ArrayBuffer.isView(data)) {
    const a = data as unknown as ArrayLike<number>;
    [shape, values] = [[a.length], Array.from(a)];
    dtype = data instanceof Float32Array ? 'float32' : data instanceof Float64Array ? 'float64' : data instanceof Int32Array ? 'int32' : 'bool';
  } else {
    shape = [];
    let cur: unknown = data;
    while (Array.isArray(cur)) {
      shape.push(cur.length);
      cur = cur[0];
    }
    const flat = (data as unknown[]).flat(Infinity) as (number | boolean)[];
    values = flat.map(Number);
    dtype = flat.length > 0 && flat.every((v) => typeof v === 'boolean') ? 'bool' : 'float32';
  }
  const want = opts?.dtype ?? dtype;
  requiresGradOk(opts, want);
  if (want === 'int32' && values.some((v) => !(v >= -2147483648 && v <= 2147483647))) throw new Refuse('int32 overflow');
  if (opts?.shape !== undefined) {
    if (R.size(opts.shape) !== values.length) throw new Refuse('shape');
    shape = opts.shape;
  }
  return ref(shape, values, want);
}
fn('tensor', fc.tuple(dataArb, createOptsArb), T.tensor, { reference: (d, o) => tensorRef(d, o) });

const requiresGradOk = (o: { dtype?: DType; requiresGrad?: boolean } | undefined, dtype: DType): void => {
  if (o?.requiresGrad && !isFloat(dtype)) throw new Refuse('requiresGrad on an integer dtype');
};
const filledRef = (shape: number[], value: number | boolean, o: { dtype?: DType; requiresGrad?: boolean } | undefined, dflt?: DType): Ref => {
  const dtype = o?.dtype ?? dflt ?? (typeof value === 'boolean' ? 'bool' : 'float32');
  requiresGradOk(o, dtype);
  return ref(shape, new Array(R.size(shape)).fill(Number(value)), dtype);
};
fn('zeros', fc.tuple(shapeArb(), createOptsArb), T.zeros, { reference: (s, o) => filledRef(s, 0, o) });
fn('ones', fc.tuple(shapeArb(), createOptsArb), T.ones, { reference: (s, o) => filledRef(s, 1, o) });
fn('full', fc.tuple(shapeArb(), scalarArb, createOptsArb), T.full, { reference: (s, v, o) => filledRef(s, v, o) });
fn('zerosLike', fc.tuple(tensorOnly, createOptsArb), T.zerosLike, { reference: (t: Tensor, o) => filledRef(t.shape.slice(), 0, o, o?.dtype ?? t.dtype) });
fn('onesLike', fc.tuple(tensorOnly, createOptsArb), T.onesLike, { reference: (t: Tensor, o) => filledRef(t.shape.slice(), 1, o, o?.dtype ?? t.dtype) });
fn('eye', fc.oneof(fc.tuple(fc.nat(4)), fc.tuple(fc.nat(4), fc.nat(4)), fc.tuple(fc.nat(4), fc.nat(4), createOptsArb), fc.tuple(fc.nat(4), createOptsArb)), T.eye, {
  reference: (n: number, m?: unknown, o?: unknown) => {
    const opts = (typeof m === 'object' ? m : o) as { dtype?: DType; requiresGrad?: boolean } | undefined;
    const cols = typeof m === 'number' ? m : n;
    const dtype = opts?.dtype ?? 'float32';
    requiresGradOk(opts, dtype);
    return ref([n, cols], R.indices([n, cols]).map(([i, j]) => (i === j ? 1 : 0)), dtype);
  },
});
const small = fc.integer({ min: -6, max: 6 }).map((v) => v / 2);
fn('arange', fc.oneof(fc.tuple(small), fc.tuple(small, small), fc.tuple(small, small, small), fc.tuple(small, small, small, createOptsArb), fc.tuple(small, createOptsArb)), T.arange, {
  reference: (...a: unknown[]) => {
    const opts = a.find((v) => typeof v === 'object') as { dtype?: DType; requiresGrad?: boolean } | undefined;
    const nums = a.filter((v) => typeof v === 'number') as number[];
    const [lo, hi, st] = nums.length === 1 ? [0, nums[0]!, 1] : [nums[0]!, nums[1]!, nums[2] ?? 1];
    const dtype = opts?.dtype ?? 'float32';
    if (st === 0 || dtype === 'bool') throw new Refuse('step 0 or bool');
    requiresGradOk(opts, dtype);
    const n = Math.max(Math.ceil((hi - lo) / st), 0);
    return ref([n], Array.from({ length: n }, (_, i) => lo + i * st), dtype);
  },
});
fn('linspace', fc.tuple(small, small, fc.nat(6), createOptsArb), T.linspace, {
  reference: (lo: number, hi: number, n: number, o?: { dtype?: DType; requiresGrad?: boolean }) => {
    const dtype = o?.dtype ?? 'float32';
    if (dtype === 'bool') throw new Refuse('bool');
    requiresGradOk(o, dtype);
    const step = n > 1 ? (hi - lo) / (n - 1) : 0;
    return ref([n], Array.from({ length: n }, (_, i) => (i < n / 2 ? lo + i * step : hi - (n - 1 - i) * step)), dtype);
  },
});

// ---- random numbers -------------------------------------------------------------------------------

const randomOptsArb = fc.oneof(
  fc.constant(undefined),
  fc.record({ seed: fc.nat(1000), dtype: dtypeArb }, { requiredKeys: [] }),
  fc.record({ generator: fc.nat(1000).map((s) => new Generator(s)), requiresGrad: fc.boolean() }, { requiredKeys: [] }),
);
const inRange = (lo: number, hi: number) => (r: Tensor): string | null => {
  const bad = read(r).data.find((v) => !(v >= lo && v < hi));
  return bad === undefined ? null : `a value ${bad} outside [${lo}, ${hi})`;
};
fn('rand', fc.tuple(shapeArb(), randomOptsArb), T.rand, { check: inRange(0, 1), deterministic: false });
fn('randn', fc.tuple(shapeArb(), randomOptsArb), T.randn, { check: (r: Tensor) => (read(r).data.every(Number.isFinite) ? null : 'a non-finite sample'), deterministic: false });
fn('randint', fc.tuple(fc.integer({ min: -3, max: 3 }), fc.integer({ min: -3, max: 6 }), shapeArb(), randomOptsArb), T.randint, {
  check: (r: Tensor, lo: number, hi: number) => inRange(lo, hi)(r) ?? (read(r).data.every(Number.isInteger) ? null : 'a fraction'), deterministic: false,
});
fn('randperm', fc.tuple(fc.nat(6), randomOptsArb), T.randperm, {
  check: (r: Tensor, n: number) => (read(r).data.slice().sort((a, b) => a - b).every((v, i) => v === i) && r.size === n ? null : 'not a permutation'), deterministic: false,
});
fn('manualSeed', one(fc.nat(1000)), T.manualSeed, { deterministic: false });
entries.push({ id: 'new Generator', names: ['Generator'], args: one(fc.nat(1000)), call: (s: number) => new Generator(s), deterministic: false });

// ---- elementwise ---------------------------------------------------------------------------------

/** Two operands: broadcastable tensors, or a tensor and a scalar either way round. */
const pairArb = fc.oneof(
  { weight: 3, arbitrary: broadcastTensors(2) as fc.Arbitrary<Args> },
  fc.tuple(tensorOnly, scalarArb),
  fc.tuple(scalarArb, tensorOnly),
);
for (const name of ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge']) {
  op(name, pairArb, { reference: (a, b) => R.binary(name, refOf(a), refOf(b)) });
}
for (const name of ['neg', 'abs', 'sign', 'exp', 'log', 'log1p', 'sqrt', 'rsqrt', 'sin', 'cos', 'tanh', 'sigmoid', 'relu']) {
  op(name, one(operandArb()), { reference: (x) => R.unary(name, typeof x === 'object' ? read(x as Tensor) : R.ref([], [Number(x)], typeof x === 'boolean' ? 'bool' : 'float32')) });
}
op('square', one(tensorOnly), { reference: (x: Tensor) => R.binary('mul', read(x), read(x)) });
op('erf', one(tensorOnly), { reference: () => SKIP });

/** A float reference that maps each element (other dtypes: no opinion). */
const floatMap = (x: Tensor, f: (v: number) => number): Ref | typeof SKIP => (isFloat(x.dtype) ? R.zipWith([read(x)], x.dtype, f) : SKIP);
op('leakyRelu', fc.oneof(fc.tuple(tensorOnly), fc.tuple(tensorOnly, fc.constantFrom(0.01, 0.2, 2))), {
  reference: (x: Tensor, a = 0.01) => floatMap(x, (v) => (v > 0 ? v : a * v)),
});
op('elu', fc.oneof(fc.tuple(tensorOnly), fc.tuple(tensorOnly, fc.constantFrom(1, 0.5))), {
  reference: (x: Tensor, a = 1) => floatMap(x, (v) => (v > 0 ? v : a * (Math.exp(v) - 1))),
});
op('softplus', fc.oneof(fc.tuple(tensorOnly), fc.tuple(tensorOnly, fc.record({ beta: fc.constantFrom(1, 2, -1), threshold: fc.constantFrom(20, 1) }, { requiredKeys: [] }))), {
  reference: (x: Tensor, o: { beta?: number; threshold?: number } = {}) => {
    const b = o.beta ?? 1;
    return floatMap(x, (v) => (b * v > (o.threshold ?? 20) ? v : Math.log1p(Math.exp(b * v)) / b));
  },
});
op('gelu', fc.oneof(fc.tuple(tensorOnly), fc.tuple(tensorOnly, fc.constantFrom({ approximate: 'tanh' }, { approximate: 'none' }, {}))), {
  reference: (x: Tensor, o?: { approximate?: string }) =>
    o?.approximate === 'tanh' ? floatMap(x, (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))) : SKIP,
});

/** A clamp bound: none, a scalar (NaN now and then) or a tensor that broadcasts. */
const boundArb = (shape: number[]): fc.Arbitrary<unknown> =>
  fc.oneof(fc.constantFrom(undefined, null, NaN, -1, 0.5, 2), tensorArb({ shape: fc.constant(shape.slice(Math.min(1, shape.length))) }));
op('clamp', tensorOnly.chain((t) => fc.tuple(fc.constant(t), boundArb(t.shape.slice()), boundArb(t.shape.slice()))), {
  reference: (x: Tensor, lo: unknown, hi: unknown) => {
    let cur: Ref = read(x);
    for (const [b, past] of [[lo, (v: number, q: number) => v < q], [hi, (v: number, q: number) => v > q]] as const) {
      if (b === undefined || b === null) continue;
      const bound = refOf(b);
      const dtype = R.resultType(bound, cur);
      const br = typeof bound === 'object' ? bound : R.ref([], [Number(bound)], dtype);
      cur = R.zipWith([cur, br], dtype, (v, q) => (past(v, q) || q !== q ? q : v));
    }
    return cur;
  },
});
fn('where', broadcastTensors(3), T.where, {
  reference: (c: Tensor, a: Tensor, b: Tensor) => {
    const dtype = R.resultType(read(a), read(b));
    return R.zipWith([read(c), read(a), read(b)], dtype, (k, x, y) => (k !== 0 ? x : y));
  },
});
op('cast', fc.tuple(tensorOnly, dtypeArb), { reference: (x: Tensor, d: DType) => castRef(read(x), d) }, { method: 'to', names: ['cast', 'to'] });

function castRef(x: Ref, d: DType): Ref {
  if (d === 'int32' && isFloat(x.dtype) && x.data.some((v) => !(v >= -2147483648 && v <= 2147483647))) throw new Refuse('int32 overflow');
  return ref(x.shape, x.data.map((v) => (d === 'int32' ? Math.trunc(v) : v)), d);
}

// ---- reductions ----------------------------------------------------------------------------------

for (const name of ['sum', 'prod', 'mean', 'max', 'min', 'logsumexp']) {
  op(name, fc.tuple(tensorOnly, axesArb, flagArb), { reference: (x: Tensor, axis, keep) => R.reduce(name, read(x), axis, keep ?? false) });
}
const varOpts = fc.constantFrom(undefined, {}, { correction: 0 }, { correction: 2 }, { correction: 0.5 });
op('var', fc.tuple(tensorOnly, axesArb, flagArb, varOpts), {
  reference: (x: Tensor, axis, keep, o) => R.reduce('var', read(x), axis, keep ?? false, o?.correction),
}, { names: ['var'] });
op('std', fc.tuple(tensorOnly, axesArb, flagArb, varOpts), { reference: (x: Tensor, axis, keep, o) => R.reduce('std', read(x), axis, keep ?? false, o?.correction) });
entries.push({ ...entries.find((e) => e.id === 'var')!, id: 'variance', call: T.variance });
op('norm', fc.tuple(tensorOnly, fc.constantFrom(1, 2, 3, 0.5, Infinity), axesArb, flagArb), {
  reference: (x: Tensor, p, axis, keep) => R.reduce('norm', read(x), axis, keep ?? false, p),
});
for (const name of ['argmax', 'argmin'] as const) {
  op(name, fc.tuple(tensorOnly, fc.option(axisArb, { nil: undefined }), flagArb), { reference: (x: Tensor, axis, keep) => R.argReduce(name, read(x), axis, keep ?? false) });
}

// ---- movement ------------------------------------------------------------------------------------

/** A new shape for x's elements: its dims shuffled, merged, padded with ones, one of them -1. */
const reshapeArgs = tensorOnly.chain((t) => fc.tuple(fc.constant(t), fc.shuffledSubarray(t.shape.slice(), { minLength: t.ndim, maxLength: t.ndim }), fc.boolean(), fc.boolean(), fc.nat(3)).map(([x, dims, merge, ones, infer]) => {
  let s = dims.slice();
  if (merge && s.length >= 2) s = [s[0]! * s[1]!, ...s.slice(2)];
  if (ones) s.splice(Math.min(1, s.length), 0, 1);
  if (infer < s.length && infer < 2) s[infer] = -1;
  return [x, s];
}));
op('reshape', reshapeArgs, {
  reference: (x: Tensor, s: number[]) => {
    const known = s.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    if (s.includes(-1) && (known === 0 || x.size % known !== 0)) throw new Refuse('infer');
    return R.reshape(read(x), s.map((d) => (d === -1 ? x.size / known : d)));
  },
});
op('flatten', fc.tuple(tensorOnly, axisArb, axisArb), {
  reference: (x: Tensor, s: number, e: number) => {
    if (x.ndim === 0) return R.reshape(read(x), [1]);
    const [a] = R.axesOf(s, x.ndim);
    const [b] = R.axesOf(e, x.ndim);
    if (a! > b!) throw new Refuse('order');
    return R.reshape(read(x), [...x.shape.slice(0, a), R.size(x.shape.slice(a, b! + 1)), ...x.shape.slice(b! + 1)]);
  },
});
op('squeeze', fc.tuple(tensorOnly, axesArb), {
  reference: (x: Tensor, axis) => {
    const axes = R.axesOf(axis, x.ndim);
    return R.reshape(read(x), x.shape.filter((d, i) => !(d === 1 && axes.includes(i))));
  },
});
op('unsqueeze', fc.tuple(tensorOnly, axisArb), {
  reference: (x: Tensor, axis: number) => {
    const [a] = R.axesOf(axis, x.ndim + 1);
    const s = x.shape.slice();
    s.splice(a!, 0, 1);
    return R.reshape(read(x), s);
  },
});
const expandArgs = tensorOnly.chain((t) => fc.tuple(fc.constant(t), fc.array(fc.nat(3), { maxLength: 2 }), fc.array(fc.constantFrom(-1, 0, 1, 2, 3), { minLength: t.ndim, maxLength: t.ndim }))
  .map(([x, lead, pick]) => [x, [...lead, ...x.shape.map((d, i) => (d === 1 ? pick[i]! : pick[i]! === -1 ? -1 : d))]]));
for (const name of ['expand', 'broadcastTo']) {
  op(name, expandArgs, {
    reference: (x: Tensor, s: number[]) => {
      if (s.slice(0, s.length - x.ndim).some((d) => d < 0)) throw new Refuse('-1 lead');
      return R.expand(read(x), s);
    },
  }, { names: ['expand', name] });
}
op('permute', tensorOnly.chain((t) => fc.tuple(fc.constant(t), fc.oneof(fc.shuffledSubarray(t.shape.map((_, i) => i), { minLength: t.ndim, maxLength: t.ndim }), fc.array(axisArb, { maxLength: 3 })))), {
  reference: (x: Tensor, dims: number[]) => {
    if (dims.length !== x.ndim) throw new Refuse('length');
    const d = dims.map((a) => R.axesOf(a, x.ndim)[0]!);
    if (new Set(d).size !== d.length) throw new Refuse('not a permutation');
    return R.permute(read(x), d);
  },
});
op('transpose', fc.tuple(tensorOnly, axisArb, axisArb), {
  reference: (x: Tensor, a: number, b: number) => {
    const [p] = R.axesOf(a, x.ndim);
    const [q] = R.axesOf(b, x.ndim);
    if (x.ndim === 0) return read(x);
    const dims = x.shape.map((_, i) => (i === p ? q! : i === q ? p! : i));
    return R.permute(read(x), dims);
  },
});
const bound = fc.integer({ min: -4, max: 4 });
op('slice', tensorOnly.chain((t) => {
  const n = Math.min(t.ndim, 3);
  return fc.tuple(fc.constant(t), fc.array(bound, { minLength: n, maxLength: n }), fc.array(bound, { minLength: n, maxLength: n }), fc.option(fc.array(fc.integer({ min: 1, max: 3 }), { minLength: n, maxLength: n }), { nil: undefined }));
}), { reference: (x: Tensor, s, e, st) => R.slice(read(x), s, e, st) });
op('pad', tensorOnly.chain((t) => fc.tuple(fc.constant(t), fc.array(fc.integer({ min: -2, max: 2 }), { minLength: 0, maxLength: 2 * t.ndim }).map((w) => (w.length % 2 ? w.slice(1) : w)), fc.option(fc.constantFrom(0, 1.5, -2, true), { nil: undefined }))), {
  reference: (x: Tensor, w: number[], v = 0) => R.pad(read(x), w, Number(v)),
});
/** Several tensors equal outside one axis, and that axis. */
const joinArgs = fc.tuple(shapeArb(1, 3), fc.nat(2), fc.integer({ min: 1, max: 3 })).chain(([shape, ax0, count]) => {
  const ax = ax0 % shape.length;
  const shapes = fc.array(fc.nat(3), { minLength: count, maxLength: count }).map((ns) => ns.map((n) => shape.map((d, i) => (i === ax ? n : d))));
  return shapes.chain((ss) => fc.tuple(...ss.map((s) => tensorArb({ shape: fc.constant(s) })))).map((ts) => [ts, ax]);
});
fn('concat', fc.oneof(joinArgs, fc.tuple(fc.array(tensorArb({ shape: fc.constant([]) }), { minLength: 1, maxLength: 2 }), fc.constant(0))), T.concat, { reference: (ts: Tensor[], ax: number) => R.concat(ts.map(read), ax) });
fn('stack', fc.tuple(tensorOnly, fc.nat(2), axisArb).chain(([t, k, ax]) => fc.tuple(fc.array(tensorArb({ shape: fc.constant(t.shape.slice()) }), { minLength: k + 1, maxLength: k + 1 }), fc.constant(ax))), T.stack, {
  reference: (ts: Tensor[], ax: number) => {
    const [a] = R.axesOf(ax, ts[0]!.ndim + 1);
    return R.concat(ts.map((t) => { const r = read(t); const s = r.shape.slice(); s.splice(a!, 0, 1); return R.reshape(r, s); }), a!);
  },
});
op('split', tensorOnly.chain((t) => fc.tuple(fc.constant(t), fc.oneof(fc.nat(3), fc.array(fc.nat(3), { maxLength: 3 })), axisArb)), {
  reference: (x: Tensor, size: number | number[], axis: number) => {
    if (x.ndim === 0) throw new Refuse('0-d');
    const [ax] = R.axesOf(axis, x.ndim);
    const n = x.shape[ax!]!;
    let sizes: number[];
    if (typeof size === 'number') {
      if (size === 0 && n > 0) throw new Refuse('size 0');
      sizes = [];
      for (let at = 0; at < n; at += size) sizes.push(Math.min(size, n - at));
      if (n === 0) sizes = [0];
    } else {
      if (size.reduce((a, b) => a + b, 0) !== n) throw new Refuse('sizes');
      sizes = size;
    }
    let at = 0;
    return sizes.map((s) => {
      const starts = x.shape.map(() => 0);
      const ends = x.shape.slice();
      starts[ax!] = at;
      ends[ax!] = at += s;
      return R.slice(read(x), starts, ends);
    });
  },
});
/** An input, an axis and an index tensor that fits it (values in range, now and then past it). */
const gatherArgs = tensorArb({ shape: shapeArb(0, 3, 3, 1) }).chain((t) => {
  const ax = t.ndim === 0 ? 0 : fc.nat(t.ndim - 1);
  return fc.tuple(fc.constant(t), typeof ax === 'number' ? fc.constant(ax) : ax).chain(([x, a]) => {
    const n = x.ndim === 0 ? 1 : x.shape[a]!;
    const idxShape = fc.tuple(...x.shape.map((d, i) => (i === a ? fc.nat(3) : fc.nat(d)))).map((s) => s as number[]);
    return idxShape.chain((s) => fc.tuple(fc.constant(x), fc.constant(a), indexArb(s, n + (s.length > 0 && s[0]! % 2 ? 1 : 0))));
  });
});
op('gather', gatherArgs, { reference: (x: Tensor, a: number, idx: Tensor) => R.gather(read(x), a, read(idx)) });
fn('scatterAdd', gatherArgs.map(([x, a, idx]) => [makeTensor({ shape: (x as Tensor).shape.slice(), dtype: 'float64', layout: 'contiguous', seed: 2, requiresGrad: false, special: false }), a, idx, makeTensor({ shape: (idx as Tensor).shape.slice(), dtype: 'float64', layout: 'contiguous', seed: 1, requiresGrad: false, special: false })]), T.scatterAdd, {
  reference: (t: Tensor, a: number, idx: Tensor, src: Tensor) => {
    const shape = t.shape.slice();
    const out = read(t).data.slice();
    const s = read(src);
    const n = shape.length === 0 ? 1 : shape[a]!;
    R.indices(idx.shape).forEach((at, k) => {
      let i = read(idx).data[k]!;
      if (i < -n || i >= n) throw new Refuse('range');
      if (i < 0) i += n;
      const pos = at.map((v, d) => (d === a ? i : v));
      out[pos.reduce((o, v, d) => o * shape[d]! + v, 0)] += s.data[k]!;
    });
    return ref(shape, out, 'float64');
  },
});
fn('padStrided', tensorOnly.chain((t) => fc.tuple(fc.constant(t), fc.array(fc.nat(2), { minLength: t.ndim, maxLength: t.ndim }), fc.array(fc.integer({ min: 1, max: 2 }), { minLength: t.ndim, maxLength: t.ndim }), fc.nat(1))
  .map(([x, starts, steps, extra]) => [x, x.shape.map((n, d) => starts[d]! + Math.max(n - 1, 0) * steps[d]! + 1 + extra), starts, steps, 0])), T.padStrided, { reference: () => SKIP });
op('contiguous', one(tensorOnly), { reference: (x: Tensor) => read(x) });
op('clone', one(tensorOnly), { reference: (x: Tensor) => read(x) });

// ---- linear algebra ------------------------------------------------------------------------------

const matmulArgs = fc.tuple(broadcastShapesArb(2, 2), fc.nat(3), fc.nat(3), fc.nat(3), fc.boolean(), fc.boolean(), fc.boolean()).chain(([[ba, bb], m, k, n, va, vb, bad]) => {
  const sa = va ? [k] : [...ba!, m, k];
  const sb = vb ? [k + (bad ? 1 : 0)] : [...bb!, k + (bad ? 1 : 0), n];
  return fc.tuple(tensorArb({ shape: fc.constant(sa) }), tensorArb({ shape: fc.constant(sb) }));
});
op('matmul', matmulArgs, { reference: (a: Tensor, b: Tensor) => R.matmul(read(a), read(b)) });
const vecPair = fc.tuple(fc.nat(3), fc.nat(3)).chain(([n, m]) => fc.tuple(tensorArb({ shape: fc.constant([n]) }), tensorArb({ shape: fc.constant([m]) })));
op('dot', vecPair, {
  reference: (a: Tensor, b: Tensor) => {
    if (a.size !== b.size) throw new Refuse('lengths');
    return R.matmul(read(a), read(b));
  },
});
op('outer', vecPair, {
  reference: (a: Tensor, b: Tensor) => R.binary('mul', R.reshape(read(a), [a.size, 1]), R.reshape(read(b), [1, b.size])),
});

// ---- neural ----------------------------------------------------------------------------------------

op('softmax', fc.tuple(tensorOnly, axisArb), { reference: (x: Tensor, a: number) => R.softmax(read(x), a, false) });
op('logSoftmax', fc.tuple(tensorOnly, axisArb), { reference: (x: Tensor, a: number) => R.softmax(read(x), a, true) });
const pairOrNum = fc.oneof(fc.integer({ min: 1, max: 3 }), fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })));
const convArgs = (nd: 1 | 2) => fc.tuple(fc.nat(2), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 }), fc.array(fc.integer({ min: 1, max: 5 }), { minLength: nd, maxLength: nd }), fc.array(fc.integer({ min: 1, max: 3 }), { minLength: nd, maxLength: nd }), fc.boolean(), fc.boolean())
  .chain(([n, g, cg, cog, size, k, bias, unbatched]) => {
    const C = g * cg;
    const x = unbatched ? [C, ...size] : [n, C, ...size];
    const opts = fc.record({
      stride: nd === 1 ? fc.integer({ min: 1, max: 2 }) : pairOrNum,
      padding: fc.oneof(fc.nat(1), fc.constant('valid'), fc.constant('same')),
      dilation: fc.integer({ min: 1, max: 2 }),
      groups: fc.constant(g),
    }, { requiredKeys: ['groups'] });
    return fc.tuple(tensorArb({ shape: fc.constant(x) }), tensorArb({ shape: fc.constant([g * cog, cg, ...k]) }), bias ? tensorArb({ shape: fc.constant([g * cog]) }) : fc.constant(undefined), opts);
  });
op('conv2d', convArgs(2), { reference: (x, w, b, o) => convRef(x, w, b, o, 2) });
op('conv1d', convArgs(1), { reference: (x, w, b, o) => convRef(x, w, b, o, 1) });

/** Direct convolution: for each output position, the sum over its window (zero padding). */
function convRef(x: Tensor, w: Tensor, b: Tensor | undefined, o: { stride?: number | number[]; padding?: number | string; dilation?: number; groups: number }, nd: number): Ref {
  const per = (v: number | number[] | undefined, d: number): number[] => (Array.isArray(v) ? v : new Array(nd).fill(v ?? d));
  const unbatched = x.ndim === nd + 1;
  const X = read(x);
  const xs = unbatched ? [1, ...X.shape] : X.shape;
  const W = read(w);
  const [Cout, Cg, ...K] = W.shape as [number, number, ...number[]];
  const stride = per(o.stride, 1);
  const dil = per(o.dilation, 1);
  let pad = per(o.padding === 'valid' ? 0 : typeof o.padding === 'number' ? o.padding : 0, 0);
  if (o.padding === 'same') {
    if (stride.some((s) => s !== 1) || K.some((k, i) => (dil[i]! * (k - 1)) % 2 !== 0)) throw new Refuse('same');
    pad = K.map((k, i) => (dil[i]! * (k - 1)) / 2);
  }
  const sp = xs.slice(2);
  const out = sp.map((n, i) => Math.floor((n + 2 * pad[i]! - dil[i]! * (K[i]! - 1) - 1) / stride[i]!) + 1);
  if (out.some((n) => n <= 0)) throw new Refuse('kernel too big');
  const shape = [xs[0]!, Cout, ...out];
  const perGroup = Cout / o.groups;
  const data = R.indices(shape).map(([nIdx, co, ...pos]) => {
    const g = Math.floor(co! / perGroup);
    let s = b ? read(b).data[co!]! : 0;
    for (const [ci, ...kk] of R.indices([Cg, ...K])) {
      const at = pos.map((p, i) => p * stride[i]! - pad[i]! + kk[i]! * dil[i]!);
      const wi = [co!, ci!, ...kk].reduce((acc, v, d) => acc * W.shape[d]! + v, 0);
      // Padding holds zeros, which multiply the weight like any other input (0 * NaN is NaN).
      const inside = at.every((a, i) => a >= 0 && a < sp[i]!);
      const xi = [nIdx!, g * Cg + ci!, ...at].reduce((acc, v, d) => acc * xs[d]! + v, 0);
      s += (inside ? X.data[xi]! : 0) * W.data[wi]!;
    }
    return s;
  });
  // matmul's dtype (bool computes in int32), then the bias's promotion.
  let dtype = R.promote(x.dtype, w.dtype);
  if (dtype === 'bool') dtype = 'int32';
  if (b) dtype = R.promote(dtype, b.dtype);
  return ref(unbatched ? shape.slice(1) : shape, data, dtype);
}
const poolArgs = fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), pairOrNum, fc.option(pairOrNum, { nil: undefined }), fc.nat(1), fc.boolean())
  .chain(([c, h, w, k, stride, padding, unbatched]) => fc.tuple(tensorArb({ shape: fc.constant(unbatched ? [c, h, w] : [1, c, h, w]) }), fc.constant(k), fc.constant(stride === undefined ? { padding } : { stride, padding })));
for (const name of ['maxPool2d', 'avgPool2d'] as const) op(name, poolArgs, { reference: (x, k, o) => poolRef(name, x, k, o) });

function poolRef(name: string, x: Tensor, k: number | number[], o: { stride?: number | number[]; padding: number }): Ref {
  const K = Array.isArray(k) ? k : [k, k];
  const S = o.stride === undefined ? K : Array.isArray(o.stride) ? o.stride : [o.stride, o.stride];
  if (o.padding * 2 > K[0]! || o.padding * 2 > K[1]!) throw new Refuse('padding');
  const X = read(x);
  const xs = x.ndim === 3 ? [1, ...X.shape] : X.shape;
  const out = [2, 3].map((d, i) => Math.floor((xs[d]! + 2 * o.padding - K[i]!) / S[i]!) + 1);
  if (out.some((n) => n <= 0)) throw new Refuse('kernel');
  const shape = [xs[0]!, xs[1]!, ...out];
  const data = R.indices(shape).map(([n, c, i, j]) => {
    const vals: number[] = [];
    for (const [a, b] of R.indices(K)) {
      const p = i! * S[0]! - o.padding + a!;
      const q = j! * S[1]! - o.padding + b!;
      const inside = p >= 0 && p < xs[2]! && q >= 0 && q < xs[3]!;
      vals.push(inside ? X.data[((n! * xs[1]! + c!) * xs[2]! + p) * xs[3]! + q]! : name === 'maxPool2d' ? -Infinity : 0);
    }
    if (name === 'avgPool2d') return vals.reduce((s, v) => s + v, 0) / vals.length;
    return vals.some((v) => v !== v) ? NaN : Math.max(...vals);
  });
  // Max-pooling keeps the dtype; average pooling computes in float (float32 for integers).
  const dtype = name === 'maxPool2d' ? x.dtype : x.dtype === 'float64' ? 'float64' : 'float32';
  return ref(x.ndim === 3 ? shape.slice(1) : shape, data, dtype);
}
op('dropout', fc.tuple(tensorOnly, fc.constantFrom(0, 0.5, 1), fc.boolean(), fc.constantFrom(undefined, { seed: 3 }, { generator: new Generator(1) })), {
  reference: (x: Tensor, p: number, training: boolean) => {
    if (!training || p === 0) return read(x);
    if (p === 1) return R.binary('mul', read(x), 0);
    return SKIP;
  },
  deterministic: false,
  check: (r: Tensor, x: Tensor, p: number, training: boolean) => {
    if (!training || p === 0 || p === 1) return null;
    const got = read(r).data;
    // A dropped element is x * 0 (NaN for an infinite x, as in PyTorch), a kept one x / (1 - p).
    const same = (a: number, b: number): boolean => (a !== a && b !== b) || a === b || Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b));
    const bad = read(x).data.findIndex((v, i) => !same(got[i]!, v * 0) && !same(got[i]!, v / (1 - p)));
    return bad < 0 ? null : `element ${bad} is neither 0 nor scaled`;
  },
});
const windowTensor = floatTensorArb({ shape: fc.tuple(fc.nat(2), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })).map((s) => s as number[]) });
fn('unfold2d', fc.tuple(windowTensor, pairOrNum, fc.constantFrom(undefined, { stride: 2 }, { padding: 1, padValue: -1 }, { dilation: [1, 2] })), T.unfold2d);
fn('fold2d', fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 2 })).chain(([c, h, w, k]) =>
  fc.tuple(floatTensorArb({ shape: fc.constant([1, c * k * k, Math.max(h - k + 1, 0) * Math.max(w - k + 1, 0)]) }), fc.constant([h, w]), fc.constant(k))), T.fold2d);

// ---- in place, conversion and the other methods ------------------------------------------------------

/** What an in-place write leaves in x: `value` broadcast into x's shape and cast to x's dtype. */
function writeRef(x: Tensor, value: Ref, opName: string): Ref {
  if (x.requiresGrad) throw new Refuse('requires grad');
  if (x.size > 0 && x.shape.some((n, d) => n > 1 && x.strides[d] === 0)) throw new Refuse('a broadcast view');
  if (R.broadcast(x.shape.slice(), value.shape).join() !== x.shape.join()) throw new Refuse('shape');
  if (opName !== 'copy_' && opName !== 'fill_' && opName !== 'zero_' && R.promote(value.dtype, x.dtype) !== x.dtype) throw new Refuse('dtype');
  const cast = castRef(value, x.dtype);
  return R.expand(cast, x.shape.slice());
}
const noGradTensor = tensorArb({ noGrad: true });
method('copy_', fc.tuple(noGradTensor, fc.oneof(scalarArb, tensorArb({ noGrad: true }))), {
  reference: (x: Tensor, v: unknown) => writeRef(x, typeof v === 'object' ? read(v as Tensor) : R.ref([], [Number(v)], x.dtype), 'copy_'),
});
method('fill_', fc.tuple(noGradTensor, scalarArb), { reference: (x: Tensor, v: number | boolean) => writeRef(x, { shape: [], data: [Number(v)], dtype: 'float64' }, 'fill_') });
method('zero_', fc.tuple(noGradTensor), { reference: (x: Tensor) => writeRef(x, R.ref([], [0], x.dtype), 'zero_') });
for (const name of ['add', 'sub', 'mul', 'div']) {
  method(`${name}_`, fc.oneof(broadcastTensors(2, { noGrad: true }), fc.tuple(noGradTensor, scalarArb)), {
    reference: (x: Tensor, b: unknown) => {
      const r = R.binary(name, read(x), refOf(b));
      if (R.promote(r.dtype, x.dtype) !== x.dtype) throw new Refuse('dtype');
      return writeRef(x, r, `${name}_`);
    },
  });
}
method('requiresGrad_', fc.tuple(tensorOnly, fc.option(fc.boolean(), { nil: undefined })), {
  reference: (x: Tensor, flag = true) => {
    if (flag && !isFloat(x.dtype)) throw new Refuse('integer');
    if (!flag && !x.isLeaf) throw new Refuse('non-leaf');
    return SKIP;
  },
});
method('detach', one(tensorOnly), { reference: (x: Tensor) => read(x) });
method('data', one(tensorOnly), { check: (d: unknown, x: Tensor) => (Array.from(d as ArrayLike<number>).every((v, i) => Object.is(v, read(x).data[i])) ? null : 'other values') });
method('toArray', one(tensorOnly), { check: (a: unknown, x: Tensor) => (JSON.stringify(a) === JSON.stringify(nested(read(x))) ? null : 'other nested values') });
method('item', one(tensorOnly), {
  reference: (x: Tensor) => {
    if (x.size !== 1) throw new Refuse('size');
    const v = read(x).data[0]!;
    return x.dtype === 'bool' ? v !== 0 : v;
  },
});
method('toString', one(tensorOnly));
entries.push({
  id: 'Tensor#get:T', names: ['permute'], keep: [0], args: one(tensorOnly), call: (t: Tensor) => t.T,
  reference: (x: Tensor) => R.permute(read(x), x.shape.map((_, i) => x.ndim - 1 - i)),
});
for (const prop of ['ndim', 'node', 'isLeaf', 'isContiguous', 'requiresGrad', 'shape', 'size', 'dtype', 'grad', 'strides', 'offset', 'buf', 'name']) {
  entries.push({ id: `Tensor#get:${prop}`, names: [prop], keep: [0], args: one(tensorOnly), call: (t: Tensor) => (t as unknown as Record<string, unknown>)[prop] });
}
entries.push({
  id: 'Tensor#set:requiresGrad', names: ['requiresGrad_'], keep: [0], inPlace: true, args: fc.tuple(tensorOnly, fc.boolean()),
  call: (t: Tensor, v: boolean) => { t.requiresGrad = v; return t; },
});

function nested(r: Ref): unknown {
  let k = 0;
  const build = (d: number): unknown => (d === r.shape.length ? (r.dtype === 'bool' ? r.data[k++] !== 0 : r.data[k++]) : Array.from({ length: r.shape[d]! }, () => build(d + 1)));
  return build(0);
}

// ---- the low level: constructor, storage, tape, backends, utilities -------------------------------

entries.push({
  id: 'new Tensor', names: ['Tensor'],
  args: specArb().map((s) => {
    const t = makeTensor({ ...s, requiresGrad: false });
    return [t.buf, t.shape.slice(), t.strides.slice(), t.offset, t.dtype];
  }),
  call: (buf, shape, strides, offset, dtype) => new Tensor(buf, shape, strides, offset, dtype),
});
entries.push({ id: 'Tensor.empty', names: ['Tensor.empty'], args: fc.tuple(shapeArb(), dtypeArb), call: (s, d) => Tensor.empty(s, d), reference: (s: number[], d: DType) => ref(s, new Array(R.size(s)).fill(0), d) });
fn('isDType', one(fc.constantFrom('float32', 'int32', 'float16')), T.isDType, { reference: (d: string) => ['float32', 'float64', 'int32', 'bool'].includes(d) });
fn('promoteTypes', fc.tuple(dtypeArb, dtypeArb), T.promoteTypes, { reference: (a: DType, b: DType) => R.promote(a, b) });
fn('broadcastShapes', broadcastShapesArb(2).map(([a, b]) => ['add', a, b]), T.broadcastShapes, { names: ['broadcastShapes', 'add'], keep: [0] });
fn('contiguousStrides', one(shapeArb()), T.contiguousStrides);
fn('getBackend', fc.constant([]), T.getBackend);
// Junk inside the backend swaps one of its kernels for junk (`() => 1` is a function, so
// setBackend takes it); the backend is put back after every call, or every later entry would run
// on it.
fn('setBackend', fc.constant([]).map(() => [T.getBackend()]), (...a: [T.Backend]) => {
  const before = T.getBackend();
  try {
    return T.setBackend(...a);
  } finally {
    T.setBackend(before);
  }
});

// ---- research ops: elementwise ---------------------------------------------------------------------

const unaryRef = (name: string) => (x: unknown): Ref => R.unary(name, typeof x === 'object' ? read(x as Tensor) : R.ref([], [Number(x)], typeof x === 'boolean' ? 'bool' : 'float32'));
for (const name of ['floor', 'ceil', 'round', 'trunc', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'asinh', 'acosh', 'atanh', 'expm1', 'log2', 'log10']) {
  op(name, one(operandArb()), { reference: unaryRef(name) });
}
op('erfc', one(operandArb()), { reference: () => SKIP });
for (const name of ['atan2', 'fmod', 'remainder', 'hypot']) op(name, pairArb, { reference: (a, b) => R.binary(name, refOf(a), refOf(b)) });
op('reciprocal', one(operandArb()), { reference: (x) => R.binary('div', 1, refOf(x)) });
op('silu', one(tensorOnly), { reference: (x: Tensor) => floatMap(x, (v) => v / (1 + Math.exp(-v))) });
op('mish', one(tensorOnly), { reference: (x: Tensor) => floatMap(x, (v) => v * Math.tanh(v > 20 ? v : Math.log1p(Math.exp(v)))) });
op('logaddexp', broadcastTensors(2, { dtypes: ['float32', 'float64'] }), {
  reference: (a: Tensor, b: Tensor) => R.zipWith([read(a), read(b)], R.promote(a.dtype, b.dtype), (p, q) => {
    const m = Math.max(p, q);
    return p - q === p - q ? m + Math.log1p(Math.exp(-Math.abs(p - q))) : p !== p || q !== q ? NaN : m;
  }),
});
op('lerp', fc.oneof(broadcastTensors(3, { dtypes: ['float32', 'float64'] }), broadcastTensors(2, { dtypes: ['float32', 'float64'] }).map(([a, b]) => [a, b, 0.25])), { rtol: 1e-4 });
op('nanToNum', fc.tuple(tensorOnly, fc.constantFrom(undefined, {}, { nan: 1 }, { posinf: 7, neginf: -7 })), {
  reference: (x: Tensor, o: { nan?: number; posinf?: number; neginf?: number } = {}) => {
    if (!isFloat(x.dtype)) return read(x);
    const big = x.dtype === 'float32' ? 3.4028234663852886e38 : Number.MAX_VALUE;
    return R.zipWith([read(x)], x.dtype, (v) => (v !== v ? o.nan ?? 0 : v === Infinity ? o.posinf ?? big : v === -Infinity ? o.neginf ?? -big : v));
  },
});
for (const [name, d] of [['float', 'float32'], ['double', 'float64'], ['int', 'int32'], ['bool', 'bool']] as const) {
  method(name, one(tensorOnly), { names: [name, 'cast'], reference: (x: Tensor) => castRef(read(x), d) });
}
entries.push({ id: 'Tensor#cast', names: ['cast'], keep: [0], args: fc.tuple(tensorOnly, dtypeArb), call: (t: Tensor, d: DType) => t.cast(d), reference: (x: Tensor, d: DType) => castRef(read(x), d) });
entries.push({
  id: 'Tensor#where', names: ['where'], keep: [0], args: broadcastTensors(3), call: (c: Tensor, a: Tensor, b: Tensor) => c.where(a, b),
  reference: entries.find((e) => e.id === 'where')!.reference!,
});
entries.push({ id: 'Tensor#concat', names: ['concat'], keep: [0], args: joinArgs.filter(([ts]) => (ts as Tensor[]).length > 0).map(([ts, ax]) => [(ts as Tensor[])[0], (ts as Tensor[]).slice(1), ax]),
  call: (t: Tensor, rest: Tensor[], ax: number) => t.concat(rest, ax), reference: (t: Tensor, rest: Tensor[], ax: number) => R.concat([t, ...rest].map(read), ax) });
entries.push({ id: 'Tensor#stack', names: ['stack'], keep: [0], args: entries.find((e) => e.id === 'stack')!.args.map(([ts, ax]) => [(ts as Tensor[])[0], (ts as Tensor[]).slice(1), ax]),
  call: (t: Tensor, rest: Tensor[], ax: number) => t.stack(rest, ax), reference: (t: Tensor, rest: Tensor[], ax: number) => entries.find((e) => e.id === 'stack')!.reference!([t, ...rest], ax) });
method('scatterAdd', entries.find((e) => e.id === 'scatterAdd')!.args, { reference: entries.find((e) => e.id === 'scatterAdd')!.reference! });

// ---- research ops: in place as free functions --------------------------------------------------------

for (const name of ['copy_', 'fill_', 'zero_', 'add_', 'sub_', 'mul_', 'div_']) {
  const m = entries.find((e) => e.id === `Tensor#${name}`)!;
  entries.push({ ...m, id: name, call: (T as unknown as Record<string, Fn>)[name]! });
}

// ---- research ops: predicates, logic, scans, sorting -----------------------------------------------

const boolMap = (f: (v: number) => boolean) => (x: unknown): Ref => R.zipWith([refAny(x)], 'bool', (v) => (f(v) ? 1 : 0));
const refAny = (x: unknown): Ref => (x instanceof Tensor ? read(x) : R.ref([], [Number(x)], typeof x === 'boolean' ? 'bool' : 'float32'));
op('isnan', one(operandArb()), { reference: boolMap((v) => v !== v) });
op('isinf', one(operandArb()), { reference: boolMap((v) => v === Infinity || v === -Infinity) });
op('isfinite', one(operandArb()), { reference: boolMap(Number.isFinite) });
op('logicalNot', one(operandArb()), { reference: boolMap((v) => v === 0) });
const LOGIC: Record<string, (a: boolean, b: boolean) => boolean> = { logicalAnd: (a, b) => a && b, logicalOr: (a, b) => a || b, logicalXor: (a, b) => a !== b };
for (const name of Object.keys(LOGIC)) {
  op(name, pairArb, { reference: (a, b) => R.zipWith([refAny(a), refAny(b)], 'bool', (p, q) => (LOGIC[name]!(p !== 0, q !== 0) ? 1 : 0)) });
}
for (const name of ['any', 'all'] as const) {
  op(name, fc.tuple(tensorOnly, axesArb, flagArb), {
    reference: (x: Tensor, axis, keep) => {
      const { shape, lists } = R.groups(read(x), R.axesOf(axis, x.ndim), keep ?? false);
      return R.ref(shape, lists.map((l) => (name === 'any' ? l.some((v) => v !== 0) : l.every((v) => v !== 0)) ? 1 : 0), 'bool');
    },
  });
}
op('equal', pairArb, {
  reference: (a, b) => {
    const x = refAny(a);
    const y = refAny(b);
    return x.shape.join() === y.shape.join() && x.data.every((v, i) => v === y.data[i]);
  },
});
op('allclose', fc.tuple(pairArb, fc.constantFrom(undefined, {}, { rtol: 0, atol: 0 }, { atol: 1 })).map(([[a, b], o]) => [a, b, o]));

/** Each line of x along `axis` mapped by `f` (a list of the same length). */
function alongRef(x: Tensor, axis: number, dtype: DType, f: (line: number[]) => number[]): Ref {
  const X = read(x);
  const [ax] = R.axesOf(axis, x.ndim);
  if (x.ndim === 0) return ref([], f(X.data), dtype);
  const { lists } = R.groups(X, [ax!], true);
  const kept = x.shape.map((d, i) => (i === ax ? 1 : d));
  const mapped = lists.map(f);
  const data = R.indices(x.shape).map((idx) => mapped[idx.reduce((o, v, d) => o * kept[d]! + (d === ax ? 0 : v), 0)]![idx[ax!]!]!);
  return ref(x.shape.slice(), data, dtype);
}
const intOrFloat = (d: DType): DType => (d === 'bool' ? 'int32' : d);
const scanned = (f: (acc: number, v: number) => number) => (l: number[]): number[] => {
  const out: number[] = [];
  l.forEach((v, i) => out.push(i === 0 ? v : f(out[i - 1]!, v)));
  return out;
};
op('cumsum', fc.tuple(tensorOnly, axisArb), { reference: (x: Tensor, a: number) => alongRef(x, a, intOrFloat(x.dtype), scanned((p, v) => p + v)) });
op('cumprod', fc.tuple(tensorOnly, axisArb), { reference: (x: Tensor, a: number) => alongRef(x, a, intOrFloat(x.dtype), scanned((p, v) => (x.dtype === 'int32' || x.dtype === 'bool' ? Math.imul(p, v) : p * v))) });
op('logcumsumexp', fc.tuple(floatTensorArb(), axisArb), { rtol: 1e-4 });
for (const name of ['cummax', 'cummin'] as const) {
  op(name, fc.tuple(tensorOnly, axisArb), {
    reference: (x: Tensor, a: number) => {
      const better = (v: number, m: number): boolean => v !== v || (m === m && (name === 'cummax' ? v >= m : v <= m));
      const idx = (l: number[]): number[] => {
        let k = 0;
        return l.map((v, i) => (i === 0 || better(v, l[k]!) ? (k = i) : k));
      };
      return [alongRef(x, a, x.dtype, (l) => idx(l).map((k) => l[k]!)), alongRef(x, a, 'int32', idx)];
    },
  });
}
const sortOpts = fc.constantFrom(undefined, {}, { descending: true }, { stable: true }, { descending: true, stable: true });
/** Stable ascending (descending) order of a line, NaN counted as the largest. */
const order = (l: number[], desc: boolean): number[] =>
  l.map((_, i) => i).sort((i, j) => {
    const [p, q] = [l[i]!, l[j]!];
    const c = p !== p ? (q !== q ? 0 : 1) : q !== q ? -1 : p - q;
    return (desc ? -c : c) || i - j;
  });
op('sort', fc.tuple(tensorOnly, axisArb, sortOpts), {
  reference: (x: Tensor, a: number, o?: { descending?: boolean; stable?: boolean }) => {
    if (!o?.stable) return SKIP;
    const d = o.descending ?? false;
    return [alongRef(x, a, x.dtype, (l) => order(l, d).map((i) => l[i]!)), alongRef(x, a, 'int32', (l) => order(l, d))];
  },
});
op('argsort', fc.tuple(tensorOnly, axisArb, sortOpts), {
  reference: (x: Tensor, a: number, o?: { descending?: boolean; stable?: boolean }) => (o?.stable ? alongRef(x, a, 'int32', (l) => order(l, o.descending ?? false)) : SKIP),
});
op('topk', fc.tuple(tensorOnly, fc.nat(3), axisArb, fc.constantFrom(undefined, {}, { largest: false }, { sorted: true })));
op('kthvalue', fc.tuple(tensorOnly, fc.integer({ min: 1, max: 3 }), axisArb, flagArb));
op('median', fc.tuple(tensorOnly, fc.option(axisArb, { nil: undefined }), flagArb), {
  reference: (x: Tensor, axis: number | undefined, keep?: boolean) => {
    if (axis !== undefined) return SKIP;
    const v = read(x).data;
    const shape = keep ? x.shape.map(() => 1) : [];
    if (v.length === 0) {
      if (isFloat(x.dtype)) return ref(shape, [NaN], x.dtype);
      throw new Refuse('empty');
    }
    const o = order(v, false);
    return ref(shape, [v.some((e) => e !== e) ? NaN : v[o[Math.floor((v.length - 1) / 2)]!]!], x.dtype);
  },
});

// ---- research ops: rearranging ---------------------------------------------------------------------

const axesListArb = fc.oneof(axisArb, fc.array(axisArb, { maxLength: 3 }));
op('flip', fc.tuple(tensorOnly, axesListArb), {
  reference: (x: Tensor, axes: number | number[]) => {
    const ax = R.axesOf(axes, x.ndim);
    const X = read(x);
    return ref(x.shape.slice(), R.indices(x.shape).map((idx) => X.data[idx.reduce((o, v, d) => o * x.shape[d]! + (ax.includes(d) ? x.shape[d]! - 1 - v : v), 0)]!), x.dtype);
  },
});
op('roll', fc.oneof(fc.tuple(tensorOnly, fc.integer({ min: -4, max: 4 })), fc.tuple(tensorOnly, fc.integer({ min: -4, max: 4 }), axisArb), fc.tuple(tensorOnly, fc.array(fc.integer({ min: -4, max: 4 }), { maxLength: 2 }), fc.array(axisArb, { maxLength: 2 }))));
const repsArb = tensorOnly.chain((t) => fc.tuple(fc.constant(t), fc.array(fc.nat(2), { minLength: 0, maxLength: t.ndim + 1 })));
op('repeat', repsArb);
op('tile', repsArb);
op('repeatInterleave', fc.oneof(fc.tuple(tensorOnly, fc.nat(2)), fc.tuple(tensorOnly, fc.nat(2), axisArb), tensorArb({ shape: shapeArb(1, 2) }).chain((t) => fc.tuple(fc.constant(t), indexArb([t.shape[0]!], 3).map((i) => i.abs()), fc.constant(0)))));
const matArb = tensorArb({ shape: shapeArb(0, 3) });
for (const name of ['triu', 'tril'] as const) {
  op(name, fc.tuple(matArb, fc.integer({ min: -2, max: 2 })), {
    reference: (x: Tensor, k: number) => {
      if (x.ndim < 2) throw new Refuse('rank');
      const X = read(x);
      return ref(x.shape.slice(), R.indices(x.shape).map((idx, i) => {
        const [r, c] = idx.slice(-2) as [number, number];
        return (name === 'triu' ? c - r >= k : c - r <= k) ? X.data[i]! : 0;
      }), x.dtype);
    },
  });
}
op('diag', fc.tuple(tensorArb({ shape: shapeArb(0, 2) }), fc.integer({ min: -2, max: 2 })));
op('diagonal', fc.tuple(matArb, fc.integer({ min: -2, max: 2 }), axisArb, axisArb));
op('trace', one(tensorArb({ shape: shapeArb(0, 3) })));
op('chunk', fc.tuple(tensorOnly, fc.nat(4), axisArb));
op('unbind', fc.tuple(tensorOnly, axisArb));
op('movedim', fc.oneof(fc.tuple(tensorOnly, axisArb, axisArb), fc.tuple(tensorOnly, fc.array(axisArb, { maxLength: 2 }), fc.array(axisArb, { maxLength: 2 }))));
op('narrow', fc.tuple(tensorOnly, axisArb, fc.integer({ min: -3, max: 3 }), fc.nat(3)));
op('unflatten', tensorOnly.chain((t) => fc.tuple(fc.constant(t), axisArb, fc.constantFrom([1, -1], [-1], [2, -1], [1, 1], [3, 1]))));
fn('meshgrid', fc.tuple(fc.array(tensorArb({ shape: shapeArb(0, 1) }), { maxLength: 3 }), fc.constantFrom(undefined, {}, { indexing: 'xy' }, { indexing: 'ij' })), T.meshgrid);
op('oneHot', fc.tuple(tensorArb({ shape: shapeArb(0, 2), dtypes: ['int32'] }).map((t) => t.abs()), fc.constantFrom(undefined, -1, 3, 6)), {
  reference: (i: Tensor, n = -1) => {
    const v = read(i).data;
    const classes = n === -1 ? (v.length === 0 ? 0 : Math.max(...v) + 1) : n;
    if (v.some((k) => k >= classes) || (n === -1 && v.length === 0)) throw new Refuse('classes');
    return ref([...i.shape, classes], v.flatMap((k) => Array.from({ length: classes }, (_, c) => (c === k ? 1 : 0))), 'int32');
  },
});

// ---- research ops: indexing ------------------------------------------------------------------------

const specEntry = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom(':', '1:', '::2', '-1:0:-1', null, '...', '0'), indexArb([2], 3), tensorArb({ shape: fc.constant([2]), dtypes: ['bool'] }));
op('index', fc.tuple(tensorOnly, fc.array(specEntry, { maxLength: 3 })));
op('indexPut', fc.tuple(tensorOnly, fc.array(specEntry, { maxLength: 2 }), operandArb(), fc.constantFrom(undefined, {}, { accumulate: true })));
op('select', fc.tuple(tensorOnly, axisArb, fc.integer({ min: -3, max: 3 })));
op('indexSelect', tensorArb({ shape: shapeArb(1, 3, 3, 1) }).chain((t) => fc.tuple(fc.constant(t), fc.nat(t.ndim - 1)).chain(([x, a]) => fc.tuple(fc.constant(x), fc.constant(a), indexArb([2], x.shape[a]!)))), {
  reference: (x: Tensor, a: number, idx: Tensor) => {
    const n = x.shape[a]!;
    const pick = read(idx).data.map((i) => (i < 0 ? i + n : i));
    const shape = x.shape.slice();
    shape[a] = pick.length;
    const X = read(x);
    return ref(shape, R.indices(shape).map((i) => X.data[i.reduce((o, v, d) => o * x.shape[d]! + (d === a ? pick[v]! : v), 0)]!), x.dtype);
  },
});
op('take', tensorOnly.chain((t) => fc.tuple(fc.constant(t), indexArb([2], t.size))), {
  reference: (x: Tensor, idx: Tensor) => {
    const X = read(x);
    const v = read(idx).data;
    if (v.some((i) => i < -x.size || i >= x.size)) throw new Refuse('range');
    return ref(idx.shape.slice(), v.map((i) => X.data[i < 0 ? i + x.size : i]!), x.dtype);
  },
});
const maskArgs = broadcastShapesArb(2).chain(([a, b]) => fc.tuple(tensorArb({ shape: fc.constant(a!) }), tensorArb({ shape: fc.constant(b!), dtypes: ['bool'] })));
op('maskedFill', maskArgs.chain(([x, m]) => fc.tuple(fc.constant(x), fc.constant(m), scalarArb)));
op('maskedSelect', maskArgs);
op('nonzero', one(tensorOnly), {
  reference: (x: Tensor) => {
    const X = read(x);
    const hits = R.indices(x.shape).filter((_, i) => X.data[i] !== 0);
    return ref([hits.length, x.ndim], hits.flat(), 'int32');
  },
});
op('scatter', gatherArgs.chain(([x, a, idx]) => fc.tuple(fc.constant(x), fc.constant(a), fc.constant(idx), fc.oneof(scalarArb, tensorArb({ shape: fc.constant((idx as Tensor).shape.slice()) })), fc.constantFrom(undefined, {}, { reduce: 'sum' }, { reduce: 'amax', includeSelf: false }, { reduce: 'mean' }))));

// ---- research ops: einsum, sampling ---------------------------------------------------------------------

fn('einsum', fc.tuple(fc.nat(2), fc.nat(2), fc.nat(2), fc.constantFrom('ij,jk->ik', 'ij->ji', 'ii->i', 'ij,ij->', 'i,j->ij', '...j,jk', 'ij', 'ij,jk->iz')).chain(([m, k, n, eq]) => {
  const shapes = eq.startsWith('ij,jk') || eq.startsWith('...') ? [[m, k], [k, n]] : eq === 'i,j->ij' ? [[m], [n]] : eq === 'ii->i' ? [[m, m]] : eq === 'ij,ij->' ? [[m, k], [m, k]] : [[m, k]];
  return fc.tuple(fc.constant(eq), ...shapes.map((s) => tensorArb({ shape: fc.constant(s) })));
}), T.einsum);
fn('multinomial', fc.tuple(tensorArb({ shape: shapeArb(1, 2), dtypes: ['float32', 'float64'] }).map((t) => t.abs()), fc.nat(3), fc.constantFrom(undefined, {}, { replacement: true, seed: 1 })), T.multinomial, { deterministic: false });
fn('bernoulli', fc.tuple(operandArb({ dtypes: ['float32', 'float64'] }), randomOptsArb), T.bernoulli, { deterministic: false, check: (r: Tensor) => (read(r).data.every((v) => v === 0 || v === 1) ? null : 'a value other than 0 and 1') });
method('bernoulli', fc.tuple(floatTensorArb(), randomOptsArb), { deterministic: false });
method('multinomial', entries.find((e) => e.id === 'multinomial')!.args, { deterministic: false });
fn('normal', fc.tuple(operandArb({ dtypes: ['float32', 'float64'] }), operandArb({ dtypes: ['float32', 'float64'] }), fc.constantFrom(undefined, null, [2], [2, 1]), randomOptsArb), T.normal, { deterministic: false });
fn('randLike', fc.tuple(tensorOnly, randomOptsArb), T.randLike, { deterministic: false, check: inRange(0, 1) });
fn('randnLike', fc.tuple(tensorOnly, randomOptsArb), T.randnLike, { deterministic: false });

// ---- research ops: transposed convolution, pooling, resizing ----------------------------------------------

const tconvArgs = (nd: 1 | 2) => fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 }), fc.array(fc.integer({ min: 1, max: 3 }), { minLength: nd, maxLength: nd }), fc.array(fc.integer({ min: 1, max: 2 }), { minLength: nd, maxLength: nd }), fc.boolean(), fc.boolean())
  .chain(([g, cg, cog, size, k, bias, unbatched]) => {
    const C = g * cg;
    const x = unbatched ? [C, ...size] : [1, C, ...size];
    const opts = fc.record({ stride: fc.integer({ min: 1, max: 2 }), padding: fc.nat(1), outputPadding: fc.nat(1), dilation: fc.integer({ min: 1, max: 2 }), groups: fc.constant(g) }, { requiredKeys: ['groups'] });
    return fc.tuple(tensorArb({ shape: fc.constant(x) }), tensorArb({ shape: fc.constant([C, cog, ...k]) }), bias ? tensorArb({ shape: fc.constant([g * cog]) }) : fc.constant(undefined), opts);
  });
op('convTranspose2d', tconvArgs(2));
op('convTranspose1d', tconvArgs(1));
const image = (rank: 3 | 4) => tensorArb({ shape: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.nat(4), fc.nat(4)).map(([c, h, w]) => (rank === 4 ? [1, c, h, w] : [c, h, w])) });
const adaptiveSize = fc.oneof(fc.nat(3), fc.tuple(fc.option(fc.nat(3)), fc.option(fc.nat(3))));
op('adaptiveAvgPool2d', fc.tuple(fc.oneof(image(3), image(4)), adaptiveSize));
op('adaptiveMaxPool2d', fc.tuple(fc.oneof(image(3), image(4)), adaptiveSize));
const signal = tensorArb({ shape: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.nat(5), fc.boolean()).map(([c, l, b]) => (b ? [1, c, l] : [c, l])) });
op('maxPool1d', fc.tuple(signal, fc.integer({ min: 1, max: 3 }), fc.constantFrom(undefined, {}, { stride: 2 }, { padding: 1 }, { dilation: 2 })));
op('avgPool1d', fc.tuple(signal, fc.integer({ min: 1, max: 3 }), fc.constantFrom(undefined, {}, { stride: 2 }, { padding: 1 })));
op('interpolate', fc.tuple(fc.oneof(signal, image(4)), fc.record({ size: fc.constantFrom(undefined, 2, [3, 2], [4]), scaleFactor: fc.constantFrom(undefined, 2, 0.5), mode: fc.constantFrom(undefined, 'nearest', 'linear', 'bilinear'), alignCorners: flagArb }, { requiredKeys: [] })));

// ---- linalg namespace ------------------------------------------------------------------------------------

const squareArb = fc.tuple(fc.array(fc.nat(2), { maxLength: 1 }), fc.nat(3)).chain(([batch, n]) => floatTensorArb({ shape: fc.constant([...batch, n, n]) }));
const anyMatArb = fc.tuple(fc.array(fc.nat(2), { maxLength: 1 }), fc.nat(3), fc.nat(3)).chain(([batch, m, n]) => floatTensorArb({ shape: fc.constant([...batch, m, n]) }));
const linalgFns = T.linalg as unknown as Record<string, Fn>;
const lin = (name: string, args: fc.Arbitrary<Args>): void => {
  entries.push({ id: `linalg.${name}`, names: [`linalg.${name}`], args, call: linalgFns[name]!, errors: [T.LinAlgError] });
};
lin('solve', fc.tuple(squareArb, fc.boolean()).chain(([a, vec]) => fc.tuple(fc.constant(a), floatTensorArb({ shape: fc.constant(vec ? [a.shape.at(-1)!] : [...a.shape.slice(0, -1), 2]) }))));
for (const name of ['inv', 'det', 'slogdet', 'cholesky', 'eigh']) lin(name, fc.oneof(one(squareArb), one(anyMatArb), one(tensorOnly)));
for (const name of ['qr', 'svd']) lin(name, fc.oneof(one(anyMatArb), one(tensorOnly)));
lin('lstsq', anyMatArb.chain((a) => fc.tuple(fc.constant(a), floatTensorArb({ shape: fc.constant([...a.shape.slice(0, -1), 1]) }))));
lin('vectorNorm', fc.tuple(tensorOnly, fc.constantFrom(undefined, 1, 2, 3, Infinity, -Infinity, 0), axesArb, flagArb));
lin('matrixNorm', fc.tuple(anyMatArb, fc.constantFrom(undefined, 'fro', 'nuc', 1, -1, 2, -2, Infinity, -Infinity), fc.constantFrom(undefined, [-2, -1], [0, 1], [1, 1]), flagArb));

export const TENSOR_API: readonly ApiEntry[] = entries;

/** Public names of @tapegrad/tensor that take no arguments worth fuzzing: classes of errors and constants. */
export const NOT_FUZZED: Readonly<Record<string, string>> = {
  ShapeError: 'an Error subclass: its constructor is the platform Error constructor',
  AnomalyError: 'an Error subclass: its constructor is the platform Error constructor',
  Tensor: 'fuzzed as `new Tensor`, `Tensor.empty` and one entry per method',
  Generator: 'fuzzed as `new Generator`',
  jsBackend: 'the reference Backend: its kernels are called by the dispatcher with views it has checked, not by users',
  LinAlgError: 'an Error subclass (linalg ops throw it): nothing to fuzz in its constructor',
};
