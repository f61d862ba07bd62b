/**
 * The fuzz table for the transforms of @tapegrad/autograd: grad, valueAndGrad, vjp, jvp, vmap,
 * jacrev, jacfwd, hessian, hvp, the modes (noGrad, enableGrad, detectAnomaly, profileOps),
 * checkGrad, gradients and sumTo. The functions they transform come from a pool whose derivatives
 * the reference knows (x*x and sin, elementwise or summed), beside functions that return junk (a
 * number, nothing, a promise, a non-scalar, an int32 tensor), which every transform must refuse.
 */
import fc from 'fast-check';
import {
  backward, checkGrad, defineOp, detectAnomaly, enableGrad, grad, gradients, hessian, hvp, jacfwd, jacrev, jvp, noGrad, profileOps, sumTo,
  valueAndGrad, vjp, vmap,
} from '@tapegrad/autograd';
import { AnomalyError, Tensor, add, log, mul, neg, sin, sqrt, sum, tensor, type DType } from '@tapegrad/tensor';
import { broadcastShapesArb, makeTensor, shapeArb, specArb, tensorArb, type TensorOptions } from './args.js';
import { SKIP, type ApiEntry } from './contract.js';
import * as R from './reference.js';
import { Refuse, read, ref, type Ref } from './reference.js';

type Args = unknown[];
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Fn = (...a: any[]) => unknown;

// ---- the functions transforms are given ----------------------------------------------------------

/** What the reference knows of a pooled function of one tensor: h and its first two derivatives, elementwise. */
interface Elementwise {
  h: (v: number) => number;
  d1: (v: number) => number;
  d2: (v: number) => number;
}
const SQUARE: Elementwise = { h: (v) => v * v, d1: (v) => 2 * v, d2: () => 2 };
const SINE: Elementwise = { h: Math.sin, d1: Math.cos, d2: (v) => -Math.sin(v) };

/** A pooled function: elementwise h ('map'), its sum ('total'), or one whose result no transform accepts ('junk'). */
type Spec = { kind: 'map' | 'total'; e: Elementwise } | { kind: 'junk' } | { kind: 'pair' };
const SPECS = new Map<unknown, Spec>();
function pooled<F extends Fn>(f: F, spec: Spec): F {
  SPECS.set(f, spec);
  return f;
}
const specOf = (f: unknown): Spec => SPECS.get(f) ?? { kind: 'junk' };

const square = pooled((x: Tensor) => mul(x, x), { kind: 'map', e: SQUARE });
const sine = pooled((x: Tensor) => sin(x), { kind: 'map', e: SINE });
const sumSquares = pooled((x: Tensor) => sum(mul(x, x)), { kind: 'total', e: SQUARE });
const sumSines = pooled((x: Tensor) => sum(sin(x)), { kind: 'total', e: SINE });
/** Functions whose result is not a float tensor (or array of them) that a transform could use. */
const JUNK_FNS: readonly Fn[] = [
  () => 3, () => undefined, () => [], () => 'a', () => [undefined], async (x: Tensor) => x, (x: Tensor) => sum(x).to('int32'), (x: Tensor) => Promise.resolve(sum(x)),
].map((f) => pooled(f, { kind: 'junk' }));
/** sum(x * x) with an aux value beside it, for hasAux. */
const withAux = pooled((x: Tensor) => [sum(mul(x, x)), 'aux'], { kind: 'total', e: SQUARE });
/** Two arguments: sum(x * y), whose gradients are [y, x]. */
const dot = pooled((x: Tensor, y: Tensor) => sum(mul(x, y)), { kind: 'pair' });

const MAPS = [square, sine];
/** Two outputs, [x * x, sin(x)]: a cotangent (or tangent) per output. */
const both = pooled((x: Tensor) => [mul(x, x), sin(x)], { kind: 'pair' });
const TOTALS = [sumSquares, sumSines];
const pick = (...fs: Fn[]): fc.Arbitrary<Fn> => fc.constantFrom(...fs);
/** Mostly the good functions, now and then one whose result is junk. */
const pool = (...good: Fn[]): fc.Arbitrary<Fn> => fc.oneof({ weight: 3, arbitrary: pick(...good) }, { weight: 1, arbitrary: pick(...JUNK_FNS) });

/** A float tensor with no NaN or infinity (Jacobians multiply by zeros, which an infinity turns into NaN). */
const finiteArb = (o: TensorOptions = {}): fc.Arbitrary<Tensor> =>
  specArb({ dtypes: ['float32', 'float64'], ...o }).map((s) => makeTensor({ ...s, special: false }));
const floatArb = (o: TensorOptions = {}): fc.Arbitrary<Tensor> => tensorArb({ dtypes: ['float32', 'float64'], ...o });
/** A tensor of the same shape as `x`, of x's dtype or now and then of the other float dtype. */
const likeArb = (x: Tensor, dtypes: readonly DType[] = [x.dtype]): fc.Arbitrary<Tensor> =>
  specArb({ shape: fc.constant(x.shape.slice()), dtypes, noGrad: true }).map(makeTensor);

/** A value to differentiate, as the transforms take it: a float tensor, or a number (a float64 scalar). */
const primalArb = fc.oneof({ weight: 5, arbitrary: floatArb() }, { weight: 1, arbitrary: fc.constantFrom(1.5, -2, 0) });
const refOf = (x: unknown): Ref => (x instanceof Tensor ? read(x) : ref([], [Number(x)], 'float64'));

const isFloatTensor = (x: unknown): x is Tensor => x instanceof Tensor && (x.dtype === 'float32' || x.dtype === 'float64');
/** The transform refuses anything but a float tensor (or a number) to differentiate. */
function differentiable(x: unknown): Ref {
  if (typeof x === 'number') return refOf(x);
  if (!isFloatTensor(x)) throw new Refuse('not a float tensor');
  return read(x);
}

const mapRef = (x: Ref, f: (v: number) => number): Ref => ref(x.shape.slice(), x.data.map(f), x.dtype);
const sumRef = (x: Ref): Ref => ref([], [x.data.reduce((a, b) => a + b, 0)], x.dtype);

/** f's value at x, by the reference; junk refuses. */
function valueOf(f: unknown, x: Ref): Ref {
  const s = specOf(f);
  if (s.kind === 'map') return mapRef(x, s.e.h);
  if (s.kind === 'total') return sumRef(mapRef(x, s.e.h));
  throw new Refuse('the function returns junk');
}

/**
 * The k-th derivative of f at x (k = 1, 2), as the transforms lay it out: a 'total' function's
 * gradient has x's shape and its Hessian x's shape twice; a 'map' function adds x's shape once more
 * (its Jacobian). Only the diagonal is non-zero.
 */
function derivative(f: unknown, x: Ref, k: 1 | 2): Ref {
  const s = specOf(f);
  if (s.kind !== 'map' && s.kind !== 'total') throw new Refuse('the function returns junk');
  const d = k === 1 ? s.e.d1 : s.e.d2;
  const copies = k + (s.kind === 'map' ? 1 : 0) - 1;
  const shape = Array.from({ length: copies + 1 }, () => x.shape).flat();
  const n = x.data.length;
  const data = R.indices(shape).map((idx) => {
    const flat = (part: number[]): number => part.reduce((o, v, i) => o * x.shape[i]! + v, 0);
    const at = Array.from({ length: copies + 1 }, (_, c) => flat(idx.slice(c * x.shape.length, (c + 1) * x.shape.length)));
    return n === 0 || at.every((a) => a === at[0]) ? d(x.data[at[0]!]!) : 0;
  });
  return ref(shape, data, x.dtype);
}

/** f's gradient for `grad`-like transforms: a scalar function only. */
function gradientOf(f: unknown, xs: Ref[]): Ref[] {
  const s = specOf(f);
  if (s.kind === 'pair') {
    const [x, y] = xs as [Ref, Ref];
    if (x.shape.join() !== y.shape.join()) throw new Refuse('pair of different shapes');
    return [ref(x.shape.slice(), y.data, x.dtype), ref(y.shape.slice(), x.data, y.dtype)];
  }
  if (s.kind === 'map' && xs[0]!.data.length !== 1) throw new Refuse('a non-scalar function');
  if (s.kind === 'map') return [ref(xs[0]!.shape.slice(), xs[0]!.data.map(s.e.d1), xs[0]!.dtype)];
  return [derivative(f, xs[0]!, 1)];
}

/** [value, gradients] of a scalar function at its arguments, refusing what `grad` refuses. */
function gradRef(f: unknown, opts: { argnums?: number | number[] } | undefined, args: unknown[]): [Ref, Ref[]] {
  const nums = opts?.argnums === undefined ? [0] : typeof opts.argnums === 'number' ? [opts.argnums] : opts.argnums;
  if (nums.some((n) => n >= args.length) || new Set(nums).size !== nums.length) throw new Refuse('argnums');
  const xs = args.map((a, i) => (nums.includes(i) ? differentiable(a) : refOf(a)));
  const s = specOf(f);
  if (s.kind === 'junk') throw new Refuse('junk');
  if (s.kind === 'pair' && xs.length < 2) throw new Refuse('dot of one argument');
  const value = s.kind === 'pair' ? ref([], [xs[0]!.data.reduce((a, v, i) => a + v * xs[1]!.data[i]!, 0)], R.promote(xs[0]!.dtype, xs[1]!.dtype)) : valueOf(f, xs[0]!);
  if (value.data.length !== 1) throw new Refuse('a non-scalar function');
  const all = gradientOf(f, xs);
  return [value, nums.map((i) => all[i]!)];
}

const argnumsArb = fc.constantFrom<{ argnums?: number | number[] } | undefined>(undefined, {}, { argnums: 0 }, { argnums: [0] });
/** Arguments of grad and valueAndGrad: f, options and one or two primals (two for sum(x * y)). */
const gradArgs = fc.oneof(
  fc.tuple(pool(...MAPS, ...TOTALS), argnumsArb, primalArb),
  fc.tuple(pick(withAux, sumSquares), fc.constantFrom({ hasAux: true }, { hasAux: true, argnums: [0] }), primalArb),
  floatArb().chain((x) => fc.tuple(fc.constant(dot), fc.constantFrom({ argnums: [0, 1] }, { argnums: 1 }, { argnums: [1, 0] }), fc.constant(x), likeArb(x))),
);
const form = (o: { argnums?: unknown } | undefined, gs: Ref[]): Ref | Ref[] => (Array.isArray(o?.argnums) ? gs : gs[0]!);
/** With hasAux, f must return [value, aux]: the aux rides along. */
function auxOf(f: unknown, o: { hasAux?: boolean } | undefined): string | null {
  if (!o?.hasAux) {
    if (f === withAux) throw new Refuse('[value, aux] without hasAux');
    return null;
  }
  if (f !== withAux) throw new Refuse('hasAux without [value, aux]');
  return 'aux';
}

const entries: ApiEntry[] = [];
/** The pooled functions call tensor ops on what they are given: their errors name those ops. */
const inner = ['mul', 'sum', 'sin', 'to'];

entries.push({
  id: 'grad', names: ['grad', ...inner], args: gradArgs,
  call: (f, o, ...xs) => grad(f, o)(...xs),
  reference: (f, o, ...xs) => {
    const aux = auxOf(f, o);
    const g = form(o, gradRef(f, o, xs)[1]);
    return aux === null ? g : [g, aux];
  },
});
entries.push({
  id: 'valueAndGrad', names: ['valueAndGrad', ...inner], args: gradArgs,
  call: (f, o, ...xs) => valueAndGrad(f, o)(...xs),
  reference: (f, o, ...xs) => {
    const aux = auxOf(f, o);
    const [v, gs] = gradRef(f, o, xs);
    return [aux === null ? v : [v, aux], form(o, gs)];
  },
});

// ---- vjp, jvp, hvp: one primal, a cotangent or tangent of its shape (now and then another) --------

/**
 * A function, a primal, and a direction: a cotangent shaped like f's output (`onOutput`, for vjp) or
 * a tangent shaped like x, of either float dtype mostly, of another shape now and then.
 */
const withDirection = (fs: fc.Arbitrary<Fn>, onOutput = false): fc.Arbitrary<[Fn, Tensor, Tensor]> =>
  fc.tuple(fs, floatArb()).chain(([f, x]) => {
    const like = onOutput && specOf(f).kind === 'total' ? tensor(0) : x;
    return fc.tuple(fc.constant(f), fc.constant(x), fc.oneof({ weight: 4, arbitrary: likeArb(like, ['float32', 'float64']) }, { weight: 1, arbitrary: floatArb({ noGrad: true }) }));
  });
const sameShape = (a: Ref, b: Ref): boolean => a.shape.join() === b.shape.join();
/** u * f'(x) elementwise (for a 'total' f, u is one value), in x's dtype: what vjp and jvp give one primal. */
function directional(f: unknown, x: Ref, u: Ref, reduce: boolean): Ref {
  const s = specOf(f);
  if (s.kind !== 'map' && s.kind !== 'total') throw new Refuse('junk');
  const scale = (i: number): number => (s.kind === 'total' && !reduce ? u.data[0]! : u.data[i]!);
  const g = ref(x.shape.slice(), x.data.map((v, i) => scale(i) * s.e.d1(v)), x.dtype);
  return reduce && s.kind === 'total' ? sumRef(g) : g;
}
/** The cotangent for f's output, or the tangent for x: it must have that shape. */
function direction(f: unknown, x: Ref, u: Ref, forOutput: boolean): void {
  const want = forOutput ? valueOf(f, x) : x;
  if (!sameShape(want, u)) throw new Refuse('direction of another shape');
}

entries.push({
  id: 'vjp', names: ['vjp', ...inner], args: withDirection(pool(...MAPS, ...TOTALS), true),
  call: (f, x, u) => {
    const r = vjp(f, x);
    return [r.out, ...r.vjp(u)];
  },
  reference: (f, x, u: Tensor) => {
    const xr = differentiable(x);
    direction(f, xr, read(u), true);
    return [valueOf(f, xr), directional(f, xr, read(u), false)];
  },
});
entries.push({
  id: 'jvp', names: ['jvp', ...inner],
  args: withDirection(pool(...MAPS, ...TOTALS)).map(([f, x, t]) => [f, [x], [t]]),
  call: (f, xs, ts) => {
    const r = jvp(f, xs, ts);
    return [r.out, r.tangent];
  },
  reference: (f, [x], [t]: Tensor[]) => {
    const xr = differentiable(x);
    direction(f, xr, read(t!), false);
    const out = valueOf(f, xr);
    const tangent = directional(f, xr, read(t!), true);
    // The tangent has the output's dtype.
    return [out, { ...tangent, data: tangent.data.map((v) => R.stored(v, out.dtype)), dtype: out.dtype }];
  },
});
/** vjp and jvp of `both`: cotangents [u1, u2] (of x's shape, now and then of another), and a tangent t. */
const bothArgs = floatArb().chain((x) => fc.tuple(fc.constant(both), fc.constant(x), fc.oneof(
  { weight: 4, arbitrary: fc.tuple(likeArb(x, ['float32', 'float64']), likeArb(x, ['float32', 'float64'])) },
  { weight: 1, arbitrary: fc.tuple(likeArb(x)) },
  { weight: 1, arbitrary: fc.tuple(likeArb(x), floatArb({ noGrad: true })) },
)));
const bothOut = (x: Ref): Ref[] => [mapRef(x, SQUARE.h), mapRef(x, SINE.h)];
const ofShape = (x: Ref, us: Tensor[], n: number): Ref[] => {
  if (us.length !== n || us.some((u) => !sameShape(read(u), x))) throw new Refuse('directions of another count or shape');
  return us.map(read);
};
entries.push({
  id: 'vjp (two outputs)', names: ['vjp'], args: bothArgs,
  call: (f, x, us) => {
    const r = vjp(f, x);
    return [...(r.out as Tensor[]), ...r.vjp(us)];
  },
  // J^T [u1, u2] = u1 * 2x + u2 * cos(x).
  reference: (_f, x: Tensor, us: Tensor[]) => {
    const xr = read(x);
    const [u1, u2] = ofShape(xr, us, 2) as [Ref, Ref];
    return [...bothOut(xr), ref(xr.shape.slice(), xr.data.map((v, i) => u1.data[i]! * 2 * v + u2.data[i]! * Math.cos(v)), xr.dtype)];
  },
});
entries.push({
  id: 'jvp (two outputs)', names: ['jvp'], args: bothArgs.map(([f, x, us]) => [f, [x], us.slice(0, 1)]),
  call: (f, xs, ts) => {
    const r = jvp(f, xs, ts);
    return [...(r.out as Tensor[]), ...(r.tangent as Tensor[])];
  },
  // J t = [2x t, cos(x) t].
  reference: (_f, [x]: Tensor[], ts: Tensor[]) => {
    const xr = read(x!);
    const [t] = ofShape(xr, ts, 1) as [Ref];
    return [...bothOut(xr), ...[SQUARE.d1, SINE.d1].map((d) => ref(xr.shape.slice(), xr.data.map((v, i) => t.data[i]! * d(v)), xr.dtype))];
  },
});

entries.push({
  id: 'hvp', names: ['hvp', ...inner],
  args: withDirection(pool(...TOTALS)).map(([f, x, t]) => [f, [x], [t]]),
  call: (f, xs, ts) => {
    const r = hvp(f, xs, ts);
    return [r.out, ...r.tangent];
  },
  reference: (f, [x], [t]: Tensor[]) => {
    const xr = differentiable(x);
    direction(f, xr, read(t!), false);
    const s = specOf(f);
    if ((s.kind !== 'total' && s.kind !== 'map') || (s.kind === 'map' && xr.data.length !== 1)) throw new Refuse('hvp of a non-scalar function');
    return [valueOf(f, xr), ref(xr.shape.slice(), xr.data.map((v, i) => s.e.d2(v) * read(t!).data[i]!), xr.dtype)];
  },
});

// ---- Jacobians and Hessians ----------------------------------------------------------------------

const jacArgs = (fs: Fn[]): fc.Arbitrary<Args> => fc.tuple(pool(...fs), argnumsArb, fc.oneof({ weight: 5, arbitrary: finiteArb() }, { weight: 1, arbitrary: tensorArb({ dtypes: ['int32', 'bool'] }) }));
for (const [id, transform] of [['jacrev', jacrev], ['jacfwd', jacfwd]] as const) {
  entries.push({
    id, names: [id, ...inner], args: jacArgs([...MAPS, ...TOTALS]),
    call: (f, o, x) => transform(f, o)(x),
    reference: (f, o, x) => {
      const j = derivative(f, differentiable(x), 1);
      return Array.isArray(o?.argnums) ? [j] : j;
    },
  });
}
entries.push({
  id: 'hessian', names: ['hessian', ...inner], args: jacArgs([...TOTALS, ...MAPS]),
  call: (f, o, x) => hessian(f, o)(x),
  reference: (f, o, x) => {
    const h = derivative(f, differentiable(x), 2);
    return Array.isArray(o?.argnums) ? [[h]] : h;
  },
});

// ---- vmap: against a loop over the batch, in the reference --------------------------------------

/** Element i of x along axis `ax`. */
function take(x: Ref, ax: number, i: number): Ref {
  const shape = x.shape.filter((_, d) => d !== ax);
  const data = R.indices(shape).map((idx) => {
    const full = idx.slice();
    full.splice(ax, 0, i);
    return x.data[full.reduce((o, v, d) => o * x.shape[d]! + v, 0)]!;
  });
  return { shape, data, dtype: x.dtype };
}
/** Refs of one shape stacked along a new axis `ax`. */
function stackRefs(xs: Ref[], like: Ref, ax: number): Ref {
  const shape = like.shape.slice();
  shape.splice(ax, 0, xs.length);
  const data = R.indices(shape).map((idx) => {
    const rest = idx.filter((_, d) => d !== ax);
    return xs[idx[ax]!]!.data[rest.reduce((o, v, d) => o * like.shape[d]! + v, 0)]!;
  });
  return { shape, data, dtype: like.dtype };
}

/** A function vmap maps, and what it does to one element (of Refs), or null when its result is junk. */
interface Mapped {
  f: Fn;
  one: ((...xs: Ref[]) => Ref[]) | null;
  /** Takes a second, unbatched argument (inAxes [ax, null]) of the element's shape. */
  pair?: boolean;
  single?: boolean;
}
const MAPPED: readonly Mapped[] = [
  { f: (x: Tensor) => sin(x), one: (x) => [R.unary('sin', x)], single: true },
  { f: (x: Tensor) => sum(x), one: (x) => [R.reduce('sum', x, undefined, false)], single: true },
  { f: (x: Tensor) => [x, neg(x)], one: (x) => [x, R.unary('neg', x)] },
  { f: (x: Tensor, y: Tensor) => mul(x, y), one: (x, y) => [R.binary('mul', x, y!)], pair: true, single: true },
  // Per-element gradients: vmap(grad(f)) against grad in a loop, 2x for sum(x * x).
  {
    f: grad((x: Tensor) => sum(mul(x, x))), single: true,
    one: (x) => {
      if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new Refuse('grad of an integer tensor');
      return [mapRef(x, SQUARE.d1)];
    },
  },
  ...JUNK_FNS.slice(0, 6).map((f) => ({ f, one: null, single: true })),
];
const MAPPED_BY_FN = new Map<unknown, Mapped>(MAPPED.map((m) => [m.f, m]));

/** An axis of a tensor of rank n mostly (-n..n-1), one just out of range now and then. */
const axisOf = (n: number): fc.Arbitrary<number> => fc.oneof({ weight: 5, arbitrary: fc.integer({ min: -n, max: n - 1 }) }, { weight: 1, arbitrary: fc.constantFrom(n, -n - 1) });
const vmapArgs = fc.tuple(
  fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...MAPPED.filter((m) => m.one !== null)) }, { weight: 1, arbitrary: fc.constantFrom(...MAPPED.filter((m) => m.one === null)) }),
  tensorArb({ shape: shapeArb(1, 3) }), fc.constantFrom(undefined, 1, 2, 5), fc.boolean())
  // outAxes: -1 and 0 fit every result (a sum's is 0-d), 1 only some.
  .chain(([m, x, chunkSize, listAxes]) => fc.tuple(fc.constant(m), fc.constant(x), axisOf(x.ndim), axisOf(1), fc.constant(chunkSize), fc.constant(listAxes)))
  .chain(([m, x, inAx, outAx, chunkSize, listAxes]) => {
    const ax = ((inAx % x.ndim) + x.ndim) % x.ndim;
    const opts = { inAxes: m.pair ? [inAx, null] : listAxes ? [inAx] : inAx, outAxes: m.single || !listAxes ? outAx : [outAx, outAx], chunkSize };
    const y = m.pair ? tensorArb({ shape: fc.constant(x.shape.filter((_, d) => d !== ax)) }) : fc.constant(undefined);
    return fc.tuple(fc.constant(m.f), fc.constant(opts), fc.constant(x), y).map((a) => (m.pair ? a : a.slice(0, 3)));
  });

/** vmap by a loop: f on every element, stacked along outAxes. */
function vmapRef(f: unknown, o: { inAxes: number | number[]; outAxes: number | number[] }, x: Tensor, y?: Tensor): Ref | Ref[] {
  const m = MAPPED_BY_FN.get(f)!;
  const inAx = Array.isArray(o.inAxes) ? o.inAxes[0]! : o.inAxes;
  if (inAx < -x.ndim || inAx >= x.ndim) throw new Refuse('inAxes');
  const ax = inAx < 0 ? inAx + x.ndim : inAx;
  const xr = read(x);
  const n = x.shape[ax]!;
  if (m.one === null) throw new Refuse('junk');
  const call = (xi: Ref): Ref[] => m.one!(xi, ...(y ? [read(y)] : []));
  // The element's shape for an empty batch: f of a zero-filled element.
  const like = call(take({ ...xr, shape: xr.shape.map((s, d) => (d === ax ? 1 : s)), data: new Array(R.size(xr.shape.map((s, d) => (d === ax ? 1 : s)))).fill(0) }, ax, 0));
  const per = Array.from({ length: n }, (_, i) => call(take(xr, ax, i)));
  const outs = like.map((l, k) => {
    const oa = Array.isArray(o.outAxes) ? o.outAxes[k]! : o.outAxes;
    if (oa < -(l.shape.length + 1) || oa > l.shape.length) throw new Refuse('outAxes');
    return stackRefs(per.map((p) => p[k]!), l, oa < 0 ? oa + l.shape.length + 1 : oa);
  });
  return m.single ? outs[0]! : outs;
}

entries.push({
  id: 'vmap', names: ['vmap', 'grad', 'sin', 'sum', 'neg', 'mul', 'to'], args: vmapArgs,
  call: (f, o, ...xs) => vmap(f, o)(...xs),
  reference: (f, o, x, y) => vmapRef(f, o, x, y),
});

// ---- modes: noGrad, enableGrad, profileOps, detectAnomaly ---------------------------------------

/** A thunk over a float tensor x (which may require grad), what it computes, and x. */
interface Thunk {
  run: () => unknown;
  x: Tensor;
  value: () => Ref;
  /** The op produced NaN from NaN-free inputs (forward) or a NaN/Inf gradient (backward): an anomaly. */
  anomaly: () => boolean;
  /** Runs backward, which needs recording on (noGrad refuses it). */
  backward?: boolean;
}
const hasNaN = (r: Ref): boolean => r.data.some((v) => Number.isNaN(v));
const hasNonFinite = (r: Ref): boolean => r.data.some((v) => !Number.isFinite(v));
const forwardOp = (name: string, op: (t: Tensor) => Tensor, h: (v: number) => number) => (x: Tensor): Thunk => ({
  run: () => op(x), x, value: () => mapRef(read(x), h),
  anomaly: () => !hasNaN(read(x)) && hasNaN(mapRef(read(x), h)) && name !== 'mul',
});
const THUNKS = [
  forwardOp('sin', sin, Math.sin), forwardOp('log', log, Math.log), forwardOp('sqrt', sqrt, Math.sqrt), forwardOp('mul', (t) => mul(t, 2), (v) => 2 * v),
  // Backward of sum(sqrt(x)) on a fresh leaf: the gradient 0.5 / sqrt(x).
  (x: Tensor): Thunk => ({
    run: () => {
      const leaf = x.detach().requiresGrad_(true);
      backward(sum(sqrt(leaf)));
      return leaf.grad;
    },
    x, value: () => mapRef(read(x), (v) => 0.5 / Math.sqrt(v)), backward: true,
    anomaly: () => (!hasNaN(read(x)) && hasNaN(mapRef(read(x), Math.sqrt))) || hasNonFinite(mapRef(read(x), (v) => 0.5 / Math.sqrt(v))),
  }),
];
const THUNK_OF = new Map<unknown, Thunk>();
/** A thunk and its tensor (passed along so the check can see it; the modes ignore it). */
const thunkArgs = fc.tuple(fc.constantFrom(...THUNKS), floatArb()).map(([make, x]) => {
  const t = make(x);
  THUNK_OF.set(t.run, t);
  return [t.run, x] as Args;
});
const asyncThunk = fc.constant([async () => mul(tensor([1]), 2)] as Args);
const modeArgs = fc.oneof({ weight: 6, arbitrary: thunkArgs }, { weight: 1, arbitrary: asyncThunk });

/** A leaf that requires grad: ops on it record exactly when recording is on. */
const probe = tensor([1]).requiresGrad_(true);
/** Runs a mode and checks that recording is back on afterwards, whatever happened. */
function restoring<T>(id: string, body: () => T): T {
  try {
    return body();
  } finally {
    if (!mul(probe, 1).requiresGrad) throw new Error(`${id} left recording off`);
  }
}
const modeRef = (run: unknown): Ref => {
  const t = THUNK_OF.get(run);
  if (t === undefined) throw new Refuse('an async function');
  return t.value();
};
const modeNames = ['sin', 'log', 'sqrt', 'mul', 'sum', 'backward'];

entries.push({
  id: 'noGrad', names: ['noGrad', ...modeNames], args: modeArgs,
  call: (fn) => restoring('noGrad', () => noGrad(fn)),
  // Nothing computed inside requires grad.
  check: (r) => (r instanceof Tensor && r.requiresGrad ? 'a result that requires grad' : null),
  reference: (run) => {
    if (THUNK_OF.get(run)?.backward) throw new Refuse('backward of what noGrad computed');
    return modeRef(run);
  },
});
entries.push({
  id: 'enableGrad', names: ['enableGrad', ...modeNames], args: modeArgs,
  // Inside noGrad, enableGrad turns recording back on.
  call: (fn) => restoring('enableGrad', () => noGrad(() => enableGrad(fn))),
  check: (r, _fn, x: Tensor) => (r instanceof Tensor && r.node !== null && r.requiresGrad !== x.requiresGrad ? 'a result whose requiresGrad is not its input\'s' : null),
  reference: (run) => modeRef(run),
});
entries.push({
  id: 'profileOps', names: ['profileOps', ...modeNames], args: modeArgs,
  call: (fn) => restoring('profileOps', () => profileOps(fn)),
  reference: (run) => modeRef(run),
});
entries.push({
  id: 'detectAnomaly', names: ['detectAnomaly', ...modeNames], args: modeArgs, errors: [AnomalyError],
  call: (fn) => restoring('detectAnomaly', () => detectAnomaly(fn)),
  reference: (run) => {
    if (THUNK_OF.get(run)?.anomaly()) throw new Refuse('an anomaly');
    return modeRef(run);
  },
});

// ---- checkGrad -----------------------------------------------------------------------------------

/** x*x with a VJP that is off by one everywhere: checkGrad must catch it in reverse mode. */
const wrongSquare = pooled(
  defineOp({ name: 'wrongSquare', forward: (x) => mul(x, x), vjp: (g, [x]) => [add(mul(mul(g, x!), 2), 1)] }),
  { kind: 'junk' },
);
const checkGradOpts = fc.constantFrom<Record<string, unknown> | undefined>(undefined, {}, { eps: 1e-6 }, { order: 2 }, { modes: ['rev', 'fwd'] }, { modes: ['fwd'] }, { seed: 3, atol: 1e-4 });
entries.push({
  id: 'checkGrad', names: ['checkGrad', 'wrongSquare', ...inner],
  args: fc.tuple(pool(square, sumSines, wrongSquare), fc.oneof({ weight: 4, arbitrary: finiteArb({ dtypes: ['float64'] }).map((x) => [x]) }, { weight: 1, arbitrary: tensorArb().map((x) => [x]) }), checkGradOpts),
  call: (f, xs, o) => {
    const r = checkGrad(f, xs, o);
    // A NaN error (a NaN input) is reported as such, and fails.
    const nan = Number.isNaN(r.maxAbsError);
    if (typeof r.ok !== 'boolean' || (nan && r.ok) || !(nan || (r.maxAbsError >= 0 && r.maxRelError >= 0 && r.maxRelError <= 2))) {
      throw new Error(`checkGrad: a malformed result ${JSON.stringify(r)}`);
    }
    return r.ok;
  },
  reference: (f, [x]: Tensor[], o: { modes?: string[] } | undefined) => {
    if (!isFloatTensor(x)) throw new Refuse('not a float input');
    if (f !== wrongSquare && specOf(f).kind === 'junk') throw new Refuse('junk');
    // Central differences in float32 are too coarse to judge: only that it answers.
    if (x.dtype === 'float32') return SKIP;
    // A NaN or infinity in the input makes its central difference NaN: that element fails.
    if (hasNonFinite(read(x))) return false;
    // The wrong VJP shows in reverse mode only (forward mode transposes it, and the error cancels).
    if (f === wrongSquare) return !(o?.modes ?? ['rev']).includes('rev') || x.size === 0;
    return true;
  },
});

// ---- gradients and sumTo -------------------------------------------------------------------------

entries.push({
  id: 'gradients', names: ['gradients'],
  args: finiteArb().chain((x) => fc.tuple(fc.constant(x), likeArb(x), fc.boolean())).map(([x, u, createGraph]) => {
    const leaf = x.detach().requiresGrad_(true);
    return [[mul(leaf, leaf)], [leaf], [u], createGraph];
  }),
  call: gradients,
  // d(x*x) = 2 x u.
  reference: ([y]: Tensor[], [x]: Tensor[], [u]: Tensor[]) => {
    if (!y || !x || !u) throw new Refuse('missing');
    return [ref(x.shape.slice(), read(x).data.map((v, i) => 2 * v * read(u).data[i]!), x.dtype)];
  },
});
entries.push({
  id: 'sumTo', names: ['sumTo'],
  args: broadcastShapesArb(2).chain(([a, b]) => {
    let full: number[];
    try {
      full = R.broadcast(a!, b!);
    } catch {
      full = a!;
    }
    return fc.tuple(floatArb({ shape: fc.constant(full) }), fc.constant(a!));
  }),
  call: sumTo,
  // Sums over the leading dims g has beyond shape and over the dims where shape has 1.
  reference: (g: Tensor, shape: number[]) => {
    const gr = read(g);
    const lead = gr.shape.length - shape.length;
    const axes = gr.shape.map((_, i) => i).filter((i) => i < lead || (shape[i - lead] === 1 && gr.shape[i] !== 1));
    if (axes.length === 0) return { ...gr, shape: shape.slice() };
    return { ...R.reduce('sum', gr, axes, true), shape: shape.slice() };
  },
});

export const TRANSFORMS_API: readonly ApiEntry[] = entries;
