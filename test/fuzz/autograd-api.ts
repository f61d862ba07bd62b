/**
 * The fuzz table for the parts of @tapegrad/autograd that take tensors from users at the engine
 * level: `backward` and `defineOp` (and the VJPs a defineOp is given). Transforms, checkGrad and
 * anomaly detection add their own entries here.
 */
import fc from 'fast-check';
import { backward, defineOp, jvp, vmap } from '@tapegrad/autograd';
import { Tensor, mul, onesLike, sum, tensor, type DType } from '@tapegrad/tensor';
import { floatTensorArb, shapeArb, tensorArb } from './args.js';
import type { ApiEntry } from './contract.js';
import { Refuse, read, ref } from './reference.js';

/** A graph to differentiate: y = sum-or-not(x * 2) for a leaf x that requires grad. */
const graphArb = fc.tuple(floatTensorArb(), fc.boolean()).map(([t, scalar]) => {
  const x = t.detach().requiresGrad_(true);
  const y = scalar ? sum(mul(x, 2)) : mul(x, 2);
  return { x, y };
});

/** What a user VJP might hand back: a good gradient, or one of the many wrong things. */
const vjpResultArb = fc.constantFrom<(g: Tensor, x: Tensor) => unknown>(
  (g) => [mul(g, 2)],
  () => undefined,
  () => [undefined],
  () => [],
  () => 'a',
  () => [3],
  (g) => [g.to('int32')],
  (g) => [g.to(g.dtype === 'float32' ? 'float64' : 'float32')],
  () => [tensor([1, 2, 3, 4, 5])],
  () => [null],
  (g) => [g, g],
);

/** What a user forward-mode rule (or a forward run per batch element) might hand back. */
const tangentResultArb = fc.constantFrom<(t: Tensor) => unknown>(
  (t) => mul(t, 2),
  () => null,
  () => undefined,
  () => 'a',
  () => 3,
  (t) => t.to('int32'),
  (t) => t.to(t.dtype === 'float32' ? 'float64' : 'float32'),
  () => tensor([1, 2, 3, 4, 5]),
  async (t) => t,
);
/**
 * What the op gives along ones (`tangent`) or per element (`forward`) for a candidate: k (or k x), in
 * x's dtype for a tangent (one of the other float precision is cast) or in the forward's own; zeros
 * for a null tangent. Anything else must be refused.
 */
function twice(make: unknown, x: Tensor, mode: 'tangent' | 'forward'): unknown {
  const r = read(x);
  if (typeof make !== 'function') throw new Refuse('junk');
  const probe = (make as (t: Tensor) => unknown)(tensor([1], { dtype: x.dtype }));
  if (probe === null && mode === 'tangent') return ref(r.shape, r.data.map(() => 0), x.dtype);
  if (mode === 'forward' && probe instanceof Tensor && probe.shape.join() !== '1') {
    // A constant, the same for every batch element: stacked.
    const c = read(probe);
    return ref([x.shape[0]!, ...c.shape], Array.from({ length: x.shape[0]! }, () => c.data).flat(), c.dtype);
  }
  if (!(probe instanceof Tensor) || probe.shape.join() !== '1' || (mode === 'tangent' && probe.dtype !== 'float32' && probe.dtype !== 'float64')) throw new Refuse('a junk result');
  // Each candidate scales what it is given by k (1 or 2).
  const k = read(probe).data[0]!;
  if (mode === 'forward' && probe.dtype === 'int32' && r.data.some((v) => !Number.isFinite(v))) throw new Refuse('no int32 for an infinity or NaN');
  if (mode === 'forward') return ref(r.shape, r.data.map((v) => (probe.dtype === 'int32' ? Math.trunc(k * v) : k * v)), probe.dtype);
  return ref(r.shape, r.data.map(() => k), x.dtype);
}

export const AUTOGRAD_API: readonly ApiEntry[] = [
  {
    id: 'backward', names: ['backward'], writesGrad: true,
    // The leaf rides along as a fourth argument (backward ignores it) so the check can see its .grad.
    args: graphArb.chain(({ x, y }) =>
      fc.tuple(
        fc.constant(y),
        fc.oneof(fc.constant(undefined), fc.constantFrom<DType>('float32', 'float64', 'int32').map((d) => tensor(new Float64Array(y.size).fill(1), { shape: y.shape.slice() }).to(d))),
        fc.constantFrom(undefined, {}, { createGraph: true }, { retainGraph: false }),
        fc.constant(x),
      ),
    ),
    call: (y, g, o) => {
      backward(y, g, o);
      return null;
    },
    // The leaf's .grad keeps the leaf's dtype and shape whatever gradOutput's dtype was.
    check: (_: unknown, _y: unknown, _g: unknown, _o: unknown, x: unknown) => {
      if (!(x instanceof Tensor) || x.grad === null) return null;
      return x.grad.dtype === x.dtype && x.grad.shape.join() === x.shape.join() ? null : `a .grad of dtype ${x.grad.dtype} and shape [${x.grad.shape.join(',')}]`;
    },
  },
  {
    id: 'defineOp', names: ['defineOp', 'custom', 'backward'], writesGrad: true,
    args: fc.tuple(vjpResultArb, tensorArb()),
    // A junk first argument is what the VJP returns.
    call: (vjp: unknown, x: Tensor) => {
      const result = (g: Tensor, t: Tensor): unknown => (typeof vjp === 'function' ? vjp(g, t) : vjp);
      const f = defineOp({ name: 'custom', forward: (t) => mul(t, 2), vjp: (g, [t]) => result(g, t!) as (Tensor | null)[] });
      if (!(x instanceof Tensor)) return f(x);
      const leaf = x.dtype === 'float32' || x.dtype === 'float64' ? x.detach().requiresGrad_(true) : x;
      const y = f(leaf);
      if (y.requiresGrad) backward(sum(y));
      if (leaf.grad && leaf.grad.dtype !== leaf.dtype) throw new Error(`custom: .grad has dtype ${leaf.grad.dtype}, its leaf ${leaf.dtype}`);
      return leaf.grad;
    },
    deterministic: false,
  },
  {
    id: 'defineOp spec', names: ['defineOp'],
    args: fc.tuple(fc.constantFrom<unknown>({ name: 'f', forward: (t: Tensor) => t, vjp: (g: Tensor) => [g] }, { name: '', forward: () => 1, vjp: () => [] }, { name: 'f' }, null, 'f', { name: 3, forward: 1, vjp: 2 })),
    call: (spec) => defineOp(spec as never),
    deterministic: false,
  },
  {
    // A forward-mode rule returning junk, seen by jvp (the output's tangent along ones).
    id: 'defineOp jvp', names: ['jvp', 'custom', 'to'],
    args: fc.tuple(tangentResultArb, floatTensorArb()),
    call: (rule: unknown, x: Tensor) => {
      const f = defineOp({
        name: 'custom', forward: (t) => mul(t, 2), vjp: (g) => [mul(g, 2)],
        jvp: (ts, [t]) => (typeof rule === 'function' ? rule(ts[0], t) : rule) as Tensor | null,
      });
      return jvp(f, [x], [x instanceof Tensor ? onesLike(x) : x]).tangent;
    },
    reference: (rule, x: Tensor) => twice(rule, x, 'tangent'),
  },
  {
    // A defineOp inside vmap runs its forward once per batch element: junk from any element is refused.
    id: 'defineOp vmap', names: ['vmap', 'custom', 'to'],
    args: fc.tuple(tangentResultArb, floatTensorArb({ shape: shapeArb(1, 3) })),
    call: (forward: unknown, x: Tensor) => {
      const f = defineOp({ name: 'custom', forward: (t) => (typeof forward === 'function' ? forward(t) : forward) as Tensor, vjp: (g) => [mul(g, 2)] });
      return vmap(f)(x);
    },
    reference: (forward, x: Tensor) => twice(forward, x, 'forward'),
  },
];
